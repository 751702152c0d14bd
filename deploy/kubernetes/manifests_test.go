// Package kubernetes holds feedgate's Kubernetes manifests. Its test decodes every manifest
// strictly into the Kubernetes API types (an unknown or misspelt field fails), offline, and
// checks that the pieces agree with each other and with feedgate: probes on /healthz and /readyz,
// preStop equal to shutdown_delay, a grace period that covers the shutdown, non-root and a
// read-only root filesystem. It is a module of its own so that feedgate does not carry k8s.io.
package kubernetes

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// kustomization is the part of kustomize's schema these files use.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels,omitempty"`
	Resources []string `json:"resources"`
}

// serviceMonitor is the part of the Prometheus Operator's ServiceMonitor these files use.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// objects holds every decoded manifest by kind and name.
type objects struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
	monitors    []*serviceMonitor
}

// load decodes every document of the kustomization in dir (and the ones it includes) strictly.
func load(t *testing.T, dir string, o *objects) {
	t.Helper()
	var k kustomization
	decode(t, filepath.Join(dir, "kustomization.yaml"), readFile(t, filepath.Join(dir, "kustomization.yaml")), &k)
	if k.Kind != "Kustomization" || len(k.Resources) == 0 {
		t.Fatalf("%s: not a kustomization with resources", dir)
	}
	for _, r := range k.Resources {
		path := filepath.Join(dir, r)
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			load(t, path, o)
			continue
		}
		for i, doc := range bytes.Split(readFile(t, path), []byte("\n---\n")) {
			name := path + "#" + strconv.Itoa(i)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				d := decodeAs[appsv1.Deployment](t, name, doc)
				o.deployments[d.Name] = d
			case "v1 Service":
				s := decodeAs[corev1.Service](t, name, doc)
				o.services[s.Name] = s
			case "v1 ConfigMap":
				c := decodeAs[corev1.ConfigMap](t, name, doc)
				o.configMaps[c.Name] = c
			case "v1 Secret":
				s := decodeAs[corev1.Secret](t, name, doc)
				o.secrets[s.Name] = s
			case "v1 Namespace":
				decode(t, name, doc, &corev1.Namespace{})
			case "autoscaling/v2 HorizontalPodAutoscaler":
				h := decodeAs[autoscalingv2.HorizontalPodAutoscaler](t, name, doc)
				o.hpas = append(o.hpas, h)
			case "policy/v1 PodDisruptionBudget":
				p := decodeAs[policyv1.PodDisruptionBudget](t, name, doc)
				o.pdbs = append(o.pdbs, p)
			case "monitoring.coreos.com/v1 ServiceMonitor":
				m := decodeAs[serviceMonitor](t, name, doc)
				o.monitors = append(o.monitors, m)
			default:
				t.Errorf("%s: unexpected %s %s", name, tm.APIVersion, tm.Kind)
			}
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeAs decodes doc strictly into a new T.
func decodeAs[T any](t *testing.T, name string, doc []byte) *T {
	t.Helper()
	v := new(T)
	decode(t, name, doc, v)
	return v
}

// decode fails the test on any field the type does not have.
func decode(t *testing.T, name string, doc []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func newObjects() *objects {
	return &objects{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
}

func TestManifests(t *testing.T) {
	o := newObjects()
	load(t, "monitoring", o) // the base and the ServiceMonitor

	d := o.deployments["feedgate"]
	if d == nil {
		t.Fatal("no Deployment feedgate")
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("the liveness probe must GET /healthz")
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Error("the readiness probe must GET /readyz")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("the container needs a CPU request (for the HPA) and a memory limit")
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("the container must have a read-only root filesystem and no privilege escalation")
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("the pod must run as non-root")
	}

	// The shutdown: preStop sleeps shutdown_delay, and the grace period covers preStop,
	// shutdown_delay, the drain timeout and the 1s floor for background work.
	cm := o.configMaps["feedgate-config"]
	if cm == nil {
		t.Fatal("no ConfigMap feedgate-config")
	}
	m := regexp.MustCompile(`(?m)^shutdown_delay: (\S+)$`).FindStringSubmatch(cm.Data["feedgate.yaml"])
	if m == nil {
		t.Fatal("feedgate.yaml sets no shutdown_delay")
	}
	delay, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil ||
		time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second != delay {
		t.Errorf("preStop must sleep shutdown_delay (%s)", delay)
	}
	drain := 30 * time.Second
	for i, a := range c.Args {
		if a == "--drain-timeout" && i+1 < len(c.Args) {
			if drain, err = time.ParseDuration(c.Args[i+1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	grace := pod.TerminationGracePeriodSeconds
	if need := 2*delay + drain + time.Second; grace == nil || time.Duration(*grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds must exceed %s", need)
	}

	// The configuration and secrets are mounted as directories, so that ConfigMap updates reach
	// feedgate (a subPath mount is never updated) and each _FILE variable names a mounted key.
	mounts := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		mounts[v.Name] = v
	}
	paths := map[string]string{} // mount path -> secret name
	for _, vm := range c.VolumeMounts {
		if vm.SubPath != "" {
			t.Errorf("volume %s is mounted with subPath: its updates would never be seen", vm.Name)
		}
		if v := mounts[vm.Name]; v.Secret != nil {
			paths[vm.MountPath] = v.Secret.SecretName
		}
	}
	for _, e := range c.Env {
		if !strings.HasSuffix(e.Name, "_FILE") {
			continue
		}
		dir, key := filepath.Split(e.Value)
		s := o.secrets[paths[filepath.Clean(dir)]]
		if s == nil {
			t.Errorf("%s=%s is not in a mounted Secret", e.Name, e.Value)
		} else if _, ok := s.StringData[key]; !ok {
			t.Errorf("%s=%s: the Secret %s has no key %s", e.Name, e.Value, s.Name, key)
		}
		if v := strings.TrimSuffix(e.Name, "_FILE"); !strings.Contains(cm.Data["feedgate.yaml"], "${"+v+"}") {
			t.Errorf("%s is set but feedgate.yaml never uses ${%s}", e.Name, v)
		}
	}

	// The Service, HPA, PDB and ServiceMonitor reach the Deployment.
	svc := o.services["feedgate"]
	if svc == nil || !matches(svc.Spec.Selector, d.Spec.Template.Labels) || svc.Spec.Ports[0].TargetPort.StrVal != c.Ports[0].Name {
		t.Error("the Service feedgate must select the Deployment's pods and target its port by name")
	}
	if len(o.hpas) != 1 || o.hpas[0].Spec.ScaleTargetRef.Name != d.Name || o.hpas[0].Spec.MinReplicas == nil || *o.hpas[0].Spec.MinReplicas < 2 {
		t.Error("the HPA must scale the Deployment from at least 2 replicas")
	}
	if len(o.pdbs) != 1 || !matches(o.pdbs[0].Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Error("the PodDisruptionBudget must select the Deployment's pods")
	}
	if len(o.monitors) != 1 || !matches(o.monitors[0].Spec.Selector.MatchLabels, svc.Labels) ||
		o.monitors[0].Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name || o.monitors[0].Spec.Endpoints[0].Path != "/metrics" {
		t.Error("the ServiceMonitor must select the Service and scrape /metrics on its port")
	}
	if o.services["feedgate-redis"] == nil || !strings.Contains(envValue(c, "FEEDGATE_REDIS_URL"), "//feedgate-redis:") {
		t.Error("FEEDGATE_REDIS_URL must name the in-cluster Redis Service")
	}
}

func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// TestStrictDecoding: a misspelt field is caught, so the test above proves something.
func TestStrictDecoding(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n  replcas: 2\n")
	if err := yaml.UnmarshalStrict(doc, &appsv1.Deployment{}); err == nil {
		t.Error("a misspelt field decoded without error")
	}
}

// TestMonitoringUsesExportedMetrics: the alert rules and the dashboard name only metrics that
// the gateway exports (by their names in gateway/*.go), and the dashboard is valid JSON.
func TestMonitoringUsesExportedMetrics(t *testing.T) {
	sources, err := filepath.Glob("../../gateway/*.go")
	if err != nil || len(sources) == 0 {
		t.Fatalf("gateway sources: %v", err)
	}
	var exported bytes.Buffer
	for _, s := range sources {
		exported.Write(readFile(t, s))
	}
	dashboard := readFile(t, "../grafana/feedgate.json")
	if !json.Valid(dashboard) {
		t.Error("deploy/grafana/feedgate.json is not valid JSON")
	}
	name := regexp.MustCompile(`feedgate_[a-z_]+`)
	for _, file := range []string{"../prometheus/alerts.yaml", "../grafana/feedgate.json"} {
		for _, m := range name.FindAllString(string(readFile(t, file)), -1) {
			m = strings.TrimSuffix(m, "_bucket")
			if !bytes.Contains(exported.Bytes(), []byte(`"`+m+`"`)) {
				t.Errorf("%s uses %s, which the gateway does not export", file, m)
			}
		}
	}
}
