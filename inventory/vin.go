package inventory

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// The VIN lengths the upstream accepts. Vehicles built before 1981 carry shorter VINs, which is
// why the upstream takes 11 to 17 characters.
const (
	MinVINLength = 11
	MaxVINLength = 17
)

// NormalizeVIN trims and upper-cases a VIN, the form the upstream stores.
func NormalizeVIN(vin string) string {
	return strings.ToUpper(strings.TrimSpace(vin))
}

// ValidUpstreamVIN reports whether the upstream would accept vin in a request: 11 to 17
// characters. It is the upstream's own rule and deliberately no stricter.
func ValidUpstreamVIN(vin string) bool {
	n := utf8.RuneCountInString(vin)
	return n >= MinVINLength && n <= MaxVINLength
}

// Errors CheckVIN17 returns.
var (
	ErrVINLength     = errors.New("a VIN must have 17 characters")
	ErrVINCharacter  = errors.New("a VIN may hold only digits and the letters A-Z except I, O and Q")
	ErrVINCheckDigit = errors.New("the VIN's check digit (9th character) does not match")
)

// CheckVIN17 is the strict check for channels that need a modern VIN: 17 characters from the
// VIN alphabet with a correct ISO 3779 / FMVSS 115 check digit in position 9.
func CheckVIN17(vin string) error {
	if len(vin) != 17 {
		return ErrVINLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v, ok := vinValue(vin[i])
		if !ok {
			return ErrVINCharacter
		}
		sum += v * vinWeights[i]
	}
	want := byte('0' + sum%11)
	if sum%11 == 10 {
		want = 'X'
	}
	if vin[8] != want {
		return ErrVINCheckDigit
	}
	return nil
}

// VINCheckDigit computes the check digit for the first 17 characters of vin (its 9th
// character is ignored), or 0 if vin has a character outside the VIN alphabet.
func VINCheckDigit(vin string) byte {
	if len(vin) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v, ok := vinValue(vin[i])
		if !ok && i != 8 {
			return 0
		}
		sum += v * vinWeights[i]
	}
	if sum%11 == 10 {
		return 'X'
	}
	return byte('0' + sum%11)
}

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinValue is the transliteration of one VIN character.
func vinValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c == 'I' || c == 'O' || c == 'Q':
		return 0, false
	case c >= 'A' && c <= 'H':
		return int(c-'A') + 1, true
	case c >= 'J' && c <= 'R':
		return int(c-'J') + 1, true
	case c >= 'S' && c <= 'Z':
		return int(c-'S') + 2, true
	}
	return 0, false
}
