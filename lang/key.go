package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// matchKey turns normalized text into the form words are looked up by. It is
// looser than Normalize on purpose, because people type greetings sloppily:
//
//   - without accents or with stray ones ("Ola", "arreter", "Здравствуите"):
//     combining marks on Latin, Greek, Cyrillic, Arabic and Hebrew letters are
//     dropped, so "Olá" typed precomposed or as O + l + a + U+0301 and "Ola"
//     all meet. Marks on other scripts carry meaning (Devanagari vowel signs,
//     kana voicing marks) and stay.
//   - with Arabic vowel marks, hamza forms or tatweel ("مرحبًا", "مرحـــبا") or
//     Hebrew niqqud ("שָׁלוֹם"), which the same rule and dropping U+0640 handle.
//   - on a mixed keyboard layout, with Cyrillic or Greek letters that look
//     Latin inside an otherwise Latin word ("hі" with a Cyrillic і). Only
//     mixed words are mapped, so a real Cyrillic word such as "ні" (Ukrainian
//     "no") is never read as Latin "hi".
//
// Both the word tables and inbound text go through matchKey, so the rules can
// never make a listed word unreachable, only make more spellings reach it.
func matchKey(s string) string {
	if isASCII(s) {
		return s
	}
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	stripMarks := false // whether marks on the current base are dropped
	for _, r := range d {
		switch {
		case r == '\u0640': // Arabic tatweel only stretches the line
			continue
		case isMark(r):
			if stripMarks {
				continue
			}
		default:
			stripMarks = unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic,
				unicode.Arabic, unicode.Hebrew)
		}
		b.WriteRune(r)
	}
	return unconfuse(norm.NFC.String(b.String()))
}

// lookalikes maps folded Cyrillic and Greek letters to the Latin letter they
// are mistaken for; upper-case lookalikes appear in their folded form.
var lookalikes = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'һ': 'h', 'н': 'h', 'і': 'i', 'ј': 'j',
	'к': 'k', 'ӏ': 'l', 'м': 'm', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's',
	'т': 't', 'у': 'y', 'ԝ': 'w', 'х': 'x', 'с': 'c', 'ԁ': 'd',
	'α': 'a', 'β': 'b', 'ε': 'e', 'ζ': 'z', 'η': 'h', 'ι': 'i', 'κ': 'k',
	'μ': 'm', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
}

// unconfuse maps lookalike letters to Latin in every space-separated word
// that mixes ASCII letters with Cyrillic or Greek ones.
func unconfuse(s string) string {
	if isASCII(s) {
		return s
	}
	words := strings.Split(s, " ")
	changed := false
	for i, w := range words {
		latin, other := false, false
		for _, r := range w {
			switch {
			case r < utf8.RuneSelf && unicode.IsLetter(r):
				latin = true
			case unicode.In(r, unicode.Cyrillic, unicode.Greek):
				other = true
			}
		}
		if !latin || !other {
			continue
		}
		words[i] = strings.Map(func(r rune) rune {
			if l, ok := lookalikes[r]; ok {
				return l
			}
			return r
		}, w)
		changed = true
	}
	if !changed {
		return s
	}
	return strings.Join(words, " ")
}
