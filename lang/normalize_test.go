package lang_test

import (
	"testing"

	"higate/lang"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  Hi!! ", "hi"},
		{"HELLO\tWORLD", "hello world"},
		{"a \t\n b", "a b"},
		{"ＨＩ", "hi"},
		{"ＨＥＬＬＯ　ＷＯＲＬＤ", "hello world"}, // fullwidth letters and ideographic space
		{"ﾊｲ", "ハイ"},              // halfwidth katakana
		{"ｽﾄｯﾌﾟ", "ストップ"},         // halfwidth voicing mark composes
		{"ﻡﺮﺤﺑﺍ", "مرحبا"},        // Arabic presentation forms
		{"שﬥוﬦ", "שלום"},          // Hebrew wide letters
		{"Ola\u0301", "ol\u00e1"}, // decomposed accent composes
		{"OL\u00c1", "ol\u00e1"},
		{"नमस्ते", "नमस्ते"},   // the final vowel sign stays
		{"नमस्ते।", "नमस्ते"},  // the danda goes
		{"नमस्ते 🙏", "नमस्ते"}, // so does the emoji
		{"hola 👋🏽", "hola"},    // emoji with skin tone
		{"❤️", ""},             // emoji with variation selector
		{"👨‍👩‍👧 hi 🇳🇱", "hi"},  // joined emoji and a flag
		{"hi\u200d", "hi"},
		{"\u200fשלום\u200f", "שלום"}, // right-to-left marks
		{"\ufeffhi", "hi"},           // byte order mark
		{"\u0301hi", "hi"},           // a mark with nothing to attach to
		{"hi\u0301", "h\u00ed"},      // a mark on a letter is part of it
		{"¡Hola!", "hola"},
		{"«Привет»", "привет"},
		{"你好！", "你好"},
		{"Straße", "strasse"},
		{"Hi, what are your prices?", "hi, what are your prices"},
		{"\xffhi\xfe", "hi"}, // invalid UTF-8 becomes U+FFFD, which is trimmed
	}
	for _, tt := range tests {
		if got := lang.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if got := lang.Normalize(lang.Normalize(tt.in)); got != tt.want {
			t.Errorf("Normalize is not idempotent on %q: %q", tt.in, got)
		}
	}
}
