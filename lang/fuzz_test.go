package lang_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/language"

	"higate/lang"
)

// seeds are texts that exercise the corners of normalization: every script
// the tables use, presentation and width forms, marks, emoji sequences and
// invalid UTF-8.
var seeds = []string{
	"", " ", "Hi!!", "hola 👋", "ＨＩ", "ﾊｲ", "ｽﾄｯﾌﾟ", "ﻡﺮﺤﺑﺍ", "שﬥוﬦ", "Ola\u0301",
	"नमस्ते", "नमस्ते।", "Здравствуйте", "Привіт", "你好你好", "安安安", "Ching",
	"Hi, what are your prices?", "hiii", "hi 👋 hi", "❤️", "👨‍👩‍👧", "1️⃣", "🇳🇱",
	"\u0301", "\u0345\u0301", "ǅ", "ﬀ", "İ", "ß", "\u1e9e", "ΐ", "\u0390\u0301",
	"\xff", "a\xffb", "\u200d\u200d", "hі", "ЅТOP", "`(y)`", "```", "(y) <3",
}

func FuzzNormalize(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := lang.Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q, not valid UTF-8", s, n)
		}
		if nn := lang.Normalize(n); nn != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, nn)
		}
		if strings.TrimSpace(n) != n || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q, untrimmed or uncollapsed whitespace", s, n)
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "+31612345678")
	}
	f.Add("STOP", "")
	f.Add("Hallo", "+1787")
	f.Add("hai", "0062")
	f.Add("stop", "+\xff9")
	f.Fuzz(func(t *testing.T, text, sender string) {
		intent, tag := lang.Classify(text, sender)
		switch intent {
		case lang.None:
			if tag != language.Und {
				t.Fatalf("Classify(%q, %q) = none with language %v", text, sender, tag)
			}
		case lang.Greeting, lang.OptOut:
			if !supported(tag) {
				t.Fatalf("Classify(%q, %q) = %v in unsupported %v", text, sender, intent, tag)
			}
		default:
			t.Fatalf("Classify(%q, %q) = unknown intent %d", text, sender, intent)
		}
		// Classify reads only the normalized text, so normalizing first
		// changes nothing (within the length bound, which Normalize can
		// move text across).
		if len(text) <= 1024 {
			if i2, t2 := lang.Classify(lang.Normalize(text), sender); i2 != intent || t2 != tag {
				t.Fatalf("Classify(%q) = %v, %v but of its normalization %v, %v", text, intent, tag, i2, t2)
			}
		}
	})
}

func FuzzEmojify(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add("Good job! (y)")
	f.Add("http://x.io/a:-)b ` (y) ``` <3 ```")
	f.Fuzz(func(t *testing.T, s string) {
		e := lang.Emojify(s)
		if utf8.ValidString(s) && !utf8.ValidString(e) {
			t.Fatalf("Emojify(%q) = %q, not valid UTF-8", s, e)
		}
		if ee := lang.Emojify(e); ee != e {
			t.Fatalf("Emojify not idempotent: %q -> %q -> %q", s, e, ee)
		}
		if len(strings.Fields(e)) != len(strings.Fields(s)) {
			t.Fatalf("Emojify(%q) = %q changed the tokens", s, e)
		}
	})
}

func supported(tag language.Tag) bool {
	for _, s := range lang.Supported() {
		if s == tag {
			return true
		}
	}
	return false
}
