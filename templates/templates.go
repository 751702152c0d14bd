// Package templates holds feedgate's template-defined channels as data: one YAML file per
// channel, embedded in the binary and loaded by transform.LoadTemplates. A dealer makes a
// channel of their own by copying one of these files into the directory named by the config's
// templates_dir and changing it; see README.md beside this file.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// FS returns the embedded channel definitions, one *.yaml file per channel at its root.
func FS() fs.FS { return files }
