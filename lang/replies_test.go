package lang_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/language"

	"higate/lang"
)

const gateway = "+31612345678"

// scripts lists, for each supported language, the scripts its replies may
// use, and a sender from a country that speaks it.
var scripts = map[language.Tag]struct {
	tables []*unicode.RangeTable
	sender string
}{
	en:     {[]*unicode.RangeTable{unicode.Latin}, "+447700900123"},
	ar:     {[]*unicode.RangeTable{unicode.Arabic}, "+971501234567"},
	zh:     {[]*unicode.RangeTable{unicode.Han}, "+8613800138000"},
	zhHant: {[]*unicode.RangeTable{unicode.Han}, "+886912345678"},
	nl:     {[]*unicode.RangeTable{unicode.Latin}, "+31612345678"},
	fr:     {[]*unicode.RangeTable{unicode.Latin}, "+33612345678"},
	de:     {[]*unicode.RangeTable{unicode.Latin}, "+4915112345678"},
	he:     {[]*unicode.RangeTable{unicode.Hebrew}, "+972501234567"},
	hi:     {[]*unicode.RangeTable{unicode.Devanagari}, "+919812345678"},
	id:     {[]*unicode.RangeTable{unicode.Latin}, "+6281234567890"},
	it:     {[]*unicode.RangeTable{unicode.Latin}, "+393123456789"},
	ja:     {[]*unicode.RangeTable{unicode.Hiragana, unicode.Katakana, unicode.Han}, "+819012345678"},
	pt:     {[]*unicode.RangeTable{unicode.Latin}, "+5511912345678"},
	ru:     {[]*unicode.RangeTable{unicode.Cyrillic}, "+79161234567"},
	es:     {[]*unicode.RangeTable{unicode.Latin}, "+34612345678"},
	uk:     {[]*unicode.RangeTable{unicode.Cyrillic}, "+380501234567"},
}

func TestSupported(t *testing.T) {
	got := lang.Supported()
	if len(got) != len(scripts) || got[0] != en {
		t.Fatalf("Supported() = %v; want %d languages, English first", got, len(scripts))
	}
	for _, tag := range got {
		if _, ok := scripts[tag]; !ok {
			t.Errorf("Supported() has %v, which this test does not know", tag)
		}
	}
	got[0] = language.Und
	if lang.Supported()[0] != en {
		t.Error("Supported() returned its internal slice")
	}
}

// TestReplies checks every reply in every language: it is in the language's
// own script, names the gateway, tells the opt-out word (and, where it
// says how to register, the greeting), and those words really are what
// Classify recognises in that language.
func TestReplies(t *testing.T) {
	for _, tag := range lang.Supported() {
		want := scripts[tag]
		t.Run(tag.String(), func(t *testing.T) {
			greeting, stop := lang.Keywords(tag)
			if intent, got := lang.Classify(stop, want.sender); intent != lang.OptOut || got != tag {
				t.Errorf("Classify(stop word %q) = %v, %v; want opt-out, %v", stop, intent, got, tag)
			}
			if intent, got := lang.Classify(greeting, want.sender); intent != lang.Greeting || got != tag {
				t.Errorf("Classify(greeting %q) = %v, %v; want greeting, %v", greeting, intent, got, tag)
			}
			replies := map[string]struct {
				text  string
				words []string
			}{
				"Confirmation":       {lang.Confirmation(tag, gateway), []string{stop}},
				"OptOutConfirmation": {lang.OptOutConfirmation(tag, gateway), []string{greeting}},
				"Hint":               {lang.Hint(tag, gateway), []string{greeting, stop}},
			}
			for name, r := range replies {
				if !strings.Contains(r.text, gateway) {
					t.Errorf("%s does not name the gateway: %q", name, r.text)
				}
				for _, w := range r.words {
					if !strings.Contains(r.text, w) {
						t.Errorf("%s does not say %q: %q", name, w, r.text)
					}
				}
				if strings.Contains(r.text, "%!") {
					t.Errorf("%s has a formatting error: %q", name, r.text)
				}
				letters := 0
				for _, c := range r.text {
					if !unicode.IsLetter(c) {
						continue
					}
					letters++
					// Common holds script-neutral letters such as the
					// Japanese long vowel mark ー.
					if !unicode.In(c, want.tables...) && !unicode.Is(unicode.Common, c) {
						t.Errorf("%s has %q outside the %v script: %q", name, c, tag, r.text)
						break
					}
				}
				if letters < 10 {
					t.Errorf("%s is too short to be a sentence: %q", name, r.text)
				}
			}
		})
	}
}

// TestRepliesDistinct guards against a copy-paste slip in the translation
// table: no two languages may share a reply.
func TestRepliesDistinct(t *testing.T) {
	seen := map[string]language.Tag{}
	for _, tag := range lang.Supported() {
		for _, r := range []string{
			lang.Confirmation(tag, gateway), lang.OptOutConfirmation(tag, gateway), lang.Hint(tag, gateway),
		} {
			if other, ok := seen[r]; ok {
				t.Errorf("%v and %v share the reply %q", tag, other, r)
			}
			seen[r] = tag
		}
	}
}

func TestRepliesFallback(t *testing.T) {
	english := lang.Confirmation(en, gateway)
	for _, tag := range []language.Tag{language.Und, language.Make("xx"), language.Swahili, language.Make("en-GB")} {
		if got := lang.Confirmation(tag, gateway); got != english {
			t.Errorf("Confirmation(%v) = %q; want English %q", tag, got, english)
		}
	}
	tests := map[language.Tag]language.Tag{
		language.Make("fr-CA"):      fr,
		language.Make("pt-BR"):      pt,
		language.Make("zh-TW"):      zhHant,
		language.Make("zh-Hans-CN"): zh,
		language.Make("de-CH"):      de,
	}
	for in, want := range tests {
		if got, w := lang.Hint(in, gateway), lang.Hint(want, gateway); got != w {
			t.Errorf("Hint(%v) = %q; want %v's %q", in, got, want, w)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := map[string]language.Tag{
		"en": en, "en-GB": en, "pt-BR": pt, "pt-PT": pt, "es-419": es, "de-CH": de,
		"zh": zh, "zh-CN": zh, "zh-TW": zhHant, "zh-HK": zhHant, "zh-Hant": zhHant,
		"ja-JP": ja, "uk": uk, "he": he, "iw": he, "in": id, "ar-EG": ar, "hi-IN": hi,
		"sw": en, "": en, "not a tag!": en,
	}
	for in, want := range tests {
		if got := lang.Match(in); got != want {
			t.Errorf("Match(%q) = %v; want %v", in, got, want)
		}
		if !slices.Contains(lang.Supported(), lang.Match(in)) {
			t.Errorf("Match(%q) = %v, which is not supported", in, lang.Match(in))
		}
	}
}
