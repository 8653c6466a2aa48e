package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// maxText bounds the inbound text Classify looks at. A greeting or opt-out
// with its decoration is a few dozen bytes; anything this long is a real
// message, and refusing it early keeps a flood of long texts cheap.
const maxText = 1024

// maxRepeat bounds how many times a repeated greeting ("hi hi hi") is
// accepted; more is noise, not a greeting.
const maxRepeat = 8

// word is what a spelling in the word tables means.
type word struct {
	intent Intent
	// langs are the languages that use the spelling, default first; nil
	// means any language (STOP).
	langs []language.Tag
}

// words maps the matchKey of every spelling in greetings and optOuts to its
// meaning. It is built once at start-up and only read afterwards, so
// concurrent Classify calls need no locking.
var words = func() map[string]*word {
	m := make(map[string]*word, len(greetings)+len(optOuts))
	add := func(intent Intent, text, langs string) {
		k := matchKey(Normalize(text))
		if k == "" || m[k] != nil {
			panic("lang: empty or duplicate word in table: " + text)
		}
		w := &word{intent: intent}
		if langs != "*" {
			for _, l := range strings.Fields(langs) {
				w.langs = append(w.langs, language.MustParse(l))
			}
		}
		m[k] = w
	}
	for _, g := range greetings {
		add(Greeting, g.text, g.langs)
	}
	for _, o := range optOuts {
		add(OptOut, o.text, o.langs)
	}
	return m
}()

// Classify tells whether text is a greeting or an opt-out, and in which
// language. sender is the sender's E.164 number ("+31612345678"); it decides
// between the languages that share a word ("Hallo" from +31 is Dutch, from
// +49 German) and gives STOP its language. When the country does not decide,
// each word has a default (see words.go). For any other text Classify
// returns None and language.Und; use ForSender to pick a reply language.
//
// The whole text must be the word, after Normalize has trimmed punctuation,
// emoji and whitespace around it: "Hi!!", "hola 👋" and "ＨＩ" are greetings,
// "Hi, what are your prices?" is not, and text over 1 KiB never is. Beyond
// Normalize, matching ignores accents, Arabic or Hebrew vowel marks and
// Cyrillic lookalikes inside Latin words (see matchKey), and accepts:
//
//   - a stretched last letter: "hiii", "holaaa", "stoppp";
//   - the same word repeated up to 8 times, separated by whitespace,
//     punctuation or emoji ("hi hi", "Hi! Hi!", "hi 👋 hi"), or run together
//     in scripts written without spaces ("你好你好", "ハイハイ").
//
// Latin words run together are not repeats ("hihi" is laughter), and
// different words together ("hi hello") are not accepted, which keeps the
// rule simple to explain: one word, possibly repeated.
func Classify(text, sender string) (Intent, language.Tag) {
	if len(text) > maxText {
		return None, language.Und
	}
	k := matchKey(Normalize(text))
	if k == "" {
		return None, language.Und
	}
	w := lookup(k)
	if w == nil {
		w = lookupRepeated(k)
	}
	if w == nil {
		return None, language.Und
	}
	return w.intent, w.language(sender)
}

// language picks the language of w for a message from sender.
func (w *word) language(sender string) language.Tag {
	country := ForSender(sender)
	if w.langs == nil {
		if country == language.Und {
			return language.English
		}
		return country
	}
	for _, l := range w.langs {
		if l == country {
			return l
		}
	}
	return w.langs[0]
}

// lookup finds k in the tables as it is or with its stretched last letter
// shortened to one or two ("hiii" -> "hi", "安安安" -> "安安").
func lookup(k string) *word {
	if w := words[k]; w != nil {
		return w
	}
	last, n := utf8.DecodeLastRuneInString(k)
	if !unicode.IsLetter(last) {
		return nil
	}
	stem := k[:len(k)-n]
	run := 1
	for strings.HasSuffix(stem, string(last)) {
		stem = stem[:len(stem)-n]
		run++
	}
	if run < 2 {
		return nil
	}
	if w := words[stem+string(last)]; w != nil {
		return w
	}
	if run > 2 {
		return words[stem+string(last)+string(last)]
	}
	return nil
}

// lookupRepeated accepts k when it is one word repeated: separated by
// anything that is not a letter, digit or mark, or, for scripts written
// without spaces, run together.
func lookupRepeated(k string) *word {
	var found *word
	count := 0
	for part := range strings.FieldsFuncSeq(k, isSeparator) {
		w := lookup(part)
		if w == nil {
			w = lookupRunTogether(part)
		}
		count++
		if w == nil || found != nil && w != found || count > maxRepeat {
			return nil
		}
		found = w
	}
	return found
}

// isSeparator reports whether r separates repeated words: junk, and the
// marks that only ever follow emoji (variation selectors and the keycap).
func isSeparator(r rune) bool {
	return isJunk(r) || r == '\u20e3' || '\ufe00' <= r && r <= '\ufe0f' ||
		'\U000e0100' <= r && r <= '\U000e01ef'
}

// lookupRunTogether accepts s when it is a word written without spaces
// (Han or kana) repeated back to back, such as "你好你好" or "ハイハイ".
func lookupRunTogether(s string) *word {
	rs := []rune(s)
	if len(rs) < 2 || len(rs) > 4*maxRepeat {
		return nil
	}
	for _, r := range rs {
		if !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) && r != 'ー' {
			return nil
		}
	}
	for p := 1; p <= len(rs)/2; p++ {
		if len(rs)%p != 0 || len(rs)/p > maxRepeat || !periodic(rs, p) {
			continue
		}
		if w := words[string(rs[:p])]; w != nil {
			return w
		}
	}
	return nil
}

// periodic reports whether rs repeats its first p runes throughout.
func periodic(rs []rune, p int) bool {
	for i := p; i < len(rs); i++ {
		if rs[i] != rs[i-p] {
			return false
		}
	}
	return true
}
