package lang_test

import (
	"strings"
	"testing"
	"unicode"
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
	"Hallo zusammen", "stop please", "你好啊", "嗨你好", "停止してください", "hi there hi there",
	"I will stop by tomorrow", "安安安安安安安安安安安安安安安安安安安安安安安安安安安安安安安吗",
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
		// A word that is in no table makes any text a sentence, not a
		// greeting or opt-out: Classify never matches only part of a text.
		if intent != lang.None {
			if i2, _ := lang.Classify(text+" qqq", sender); i2 != lang.None {
				t.Fatalf("Classify(%q + \" qqq\") = %v; a sentence with the word is not one", text, i2)
			}
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
	for _, s := range []string{
		"Good job! (y)", "http://x.io/a:-)b ` (y) ``` <3 ```", "http://x.com/:D", "foo:)",
		"a:pb", "at 12:30", "Ratio 3:P", ":) :-) :( :-( ;) ;-) :D :-D :P :-P :p :-|",
		"<3 </3 :* (y) (n) ^_^ B-) :'( :o", "Thanks :)!", "wait ;)…", ":))", "(:)",
		"`:)` :)", "```\n:D\n``` :D", "B)", "<3\u00a0<3", ":)\x80", "\xff:D",
	} {
		f.Add(s)
	}
	shortcuts := map[string]string{}
	for _, e := range lang.Emoticons() {
		for _, s := range strings.Fields(e.Shortcuts) {
			shortcuts[s] = e.Emoji
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := lang.Emojify(s)
		if utf8.ValidString(s) && !utf8.ValidString(e) {
			t.Fatalf("Emojify(%q) = %q, not valid UTF-8", s, e)
		}
		if ee := lang.Emojify(e); ee != e {
			t.Fatalf("Emojify not idempotent: %q -> %q -> %q", s, e, ee)
		}
		// Emojify only ever turns a whole token that is a shortcut, maybe
		// followed by closing punctuation, into its emoji: a shortcut
		// inside a word or a URL never changes, and nothing else does.
		in, out := strings.Fields(s), strings.Fields(e)
		if len(in) != len(out) {
			t.Fatalf("Emojify(%q) = %q changed the tokens", s, e)
		}
		for i := range in {
			if in[i] == out[i] {
				continue
			}
			core := strings.TrimRight(in[i], lang.Closers)
			emoji, ok := shortcuts[core]
			if !ok || out[i] != emoji+in[i][len(core):] {
				t.Fatalf("Emojify(%q) = %q turned token %q into %q", s, e, in[i], out[i])
			}
		}
		// The text between the tokens is kept.
		if strings.Join(strings.FieldsFunc(s, isNotSpace), "") != strings.Join(strings.FieldsFunc(e, isNotSpace), "") {
			t.Fatalf("Emojify(%q) = %q changed the whitespace", s, e)
		}
	})
}

func isNotSpace(r rune) bool { return !unicode.IsSpace(r) }

func supported(tag language.Tag) bool {
	for _, s := range lang.Supported() {
		if s == tag {
			return true
		}
	}
	return false
}
