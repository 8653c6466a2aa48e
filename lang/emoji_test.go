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
		{":) :-) :( :-( ;) ;-) :D :-D :P :-P :p :-p :| :-| :o :-o :O :-O :* :-* :'( B-) ^_^ <3 </3",
			"🙂 🙂 🙁 🙁 😉 😉 😃 😃 😛 😛 😛 😛 😐 😐 😮 😮 😮 😮 😘 😘 😢 😎 😊 ❤️ 💔"},
		{"See you tomorrow :)", "See you tomorrow 🙂"},
		{":D great", "😃 great"},
		{"oh no :'(", "oh no 😢"},
		{"cool B-) right", "cool 😎 right"},
		{"love it <3 </3", "love it ❤️ 💔"},
		{"Thanks :)!", "Thanks 🙂!"},
		{"Thanks :)...", "Thanks 🙂..."},
		{"wait ;)…", "wait 😉…"},
		{"ok :P, bye", "ok 😛, bye"},
		{"yes :D? no :(!", "yes 😃? no 🙁!"},
		{"\n:)\n", "\n🙂\n"},
		// Not standalone: inside a URL, a word, a number or a time.
		{"http://x.com/:D", "http://x.com/:D"},
		{"see https://example.com/a:)b :)", "see https://example.com/a:)b 🙂"},
		{"https://x.io/:p", "https://x.io/:p"},
		{"foo:)", "foo:)"},
		{":)foo", ":)foo"},
		{"a:pb", "a:pb"},
		{"Ratio 3:P", "Ratio 3:P"},
		{"at 12:30", "at 12:30"},
		{"meet at 10:00:D", "meet at 10:00:D"},
		{"C:Documents", "C:Documents"},
		{"(:)", "(:)"},       // an opening bracket is not whitespace
		{"\":)\"", "\":)\""}, // nor is a quote
		{":))", ":))"},       // a closing bracket is not a closer: it reads as a bigger smile
		{":)(y)", ":)(y)"},
		{"::)", "::)"},
		{";;)", ";;)"},
		{"B)", "B)"}, // a list item, not sunglasses
		{"8-)", "8-)"},
		{":d :b", ":d :b"},
		{"`:)` :)", "`:)` 🙂"},
		{"```\n:D\n``` :D", "```\n:D\n``` 😃"},
		{"see `(y)` here (y)", "see `(y)` here 👍"},
		{"`a (y) b` (y)", "`a (y) b` 👍"},
		{"`a b`(y)", "`a b`(y)"},
		{"```\n(y) :-)\n``` (y)", "```\n(y) :-)\n``` 👍"},
		{"```go\nx := (y)\n", "```go\nx := (y)\n"}, // unclosed fence runs to the end
		{"` (y)", "` 👍"},                           // an unpaired backtick is text
		{"no shortcuts here", "no shortcuts here"},
		{"Bold Bob", "Bold Bob"},
	}
	for _, tt := range tests {
		if got := lang.Emojify(tt.in); got != tt.want {
			t.Errorf("Emojify(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
