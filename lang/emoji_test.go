package lang_test

import (
	"testing"

	"higate/lang"
)

func TestEmojify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Good job! (y)", "Good job! 👍"},
		{"(y)", "👍"},
		{"(Y) (n) (N)", "👍 👎 👎"},
		{":-) :-( :-p :-P :-| <3 ^_^", "🙂 🙁 😛 😛 😐 ❤️ 😊"},
		{"Thanks (y).", "Thanks 👍."},
		{"Great (y)!!", "Great 👍!!"},
		{"ok :-), see you", "ok 🙂, see you"},
		{"i <3 u", "i ❤️ u"},
		{"line\n(y)\nline", "line\n👍\nline"},
		{"tab\t:-)", "tab\t🙂"},
		{"(y)\u00a0:-)", "👍\u00a0🙂"}, // no-break space separates too
		{"http://x.io/a:-)b", "http://x.io/a:-)b"},
		{"https://example.com/<3", "https://example.com/<3"},
		{"see https://x.io/(y) now", "see https://x.io/(y) now"},
		{"a(y)", "a(y)"},
		{"(y)a", "(y)a"},
		{"x:-)", "x:-)"},
		{"(y)(y)", "(y)(y)"},
		{"<3<3", "<3<3"},
		{".(y)", ".(y)"},
		{":)", ":)"}, // not one of the shortcuts
		{"see `(y)` here (y)", "see `(y)` here 👍"},
		{"`a (y) b` (y)", "`a (y) b` 👍"},
		{"`a b`(y)", "`a b`(y)"},
		{"```\n(y) :-)\n``` (y)", "```\n(y) :-)\n``` 👍"},
		{"```go\nx := (y)\n", "```go\nx := (y)\n"}, // unclosed fence runs to the end
		{"` (y)", "` 👍"},                           // an unpaired backtick is text
		{"no shortcuts here", "no shortcuts here"},
	}
	for _, tt := range tests {
		if got := lang.Emojify(tt.in); got != tt.want {
			t.Errorf("Emojify(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
