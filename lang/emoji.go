package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// emoticonList is data: the emoticon shortcuts Emojify replaces, grouped by
// the emoji they become, in the order README.md lists them. Letters that
// people type in either case are listed in both ("(y)" and "(Y)"); ":d" is
// not a face people type, and "B)" without its nose is a list label, so
// neither is listed. After editing, run go test ./lang -run TestREADME
// -update.
var emoticonList = []struct{ shortcuts, emoji string }{
	{":) :-)", "🙂"},
	{":( :-(", "🙁"},
	{";) ;-)", "😉"},
	{":D :-D", "😃"},
	{":P :-P :p :-p", "😛"},
	{":| :-|", "😐"},
	{":o :-o :O :-O", "😮"},
	{":* :-*", "😘"},
	{":'(", "😢"},
	{"B-)", "😎"},
	{"^_^", "😊"},
	{"<3", "❤️"},
	{"</3", "💔"},
	{"(y) (Y)", "👍"},
	{"(n) (N)", "👎"},
}

// emoticonChars holds bytes of which every shortcut has at least one, for a
// quick rejection of text that cannot contain one.
const emoticonChars = ":;<^()"

// closers is the punctuation that may follow a shortcut in the same token:
// "Good job (y)." and "Thanks :-)!" convert, the full stop stays.
const closers = ".,!?;:…"

// emoticons maps each shortcut to its emoji, built from emoticonList once
// at start-up, and longestShortcut is the longest shortcut's length. The
// checks keep the table consistent with how Emojify reads tokens: a
// shortcut holding whitespace could never be one token, one ending in a
// closer would lose it to trimming, and one without any of emoticonChars
// would slip past the quick rejection.
var emoticons, longestShortcut = func() (map[string]string, int) {
	m := make(map[string]string)
	longest := 0
	for _, e := range emoticonList {
		for _, s := range strings.Fields(e.shortcuts) {
			if _, dup := m[s]; dup || strings.TrimRight(s, closers) != s ||
				!strings.ContainsAny(s, emoticonChars) || strings.ContainsFunc(s, unicode.IsSpace) {
				panic("lang: bad or duplicate emoticon shortcut " + s)
			}
			m[s] = e.emoji
			longest = max(longest, len(s))
		}
	}
	return m, longest
}()

// Emojify replaces the emoticon shortcuts of emoticonList, such as :) ;-)
// :D :P <3 (y) and ^_^, with their emoji (🙂 😉 😃 😛 ❤️ 👍 😊) where they
// stand as their own token: preceded by whitespace or the start of the text,
// and followed by whitespace or the end of the text, optionally after
// closing punctuation (.,!?;:…). A shortcut inside a word, a number or a URL
// ("foo:)", "a:pb", "Ratio 3:P", "http://x.io/:D") or a code span (`...` or
// a ``` fence, as WhatsApp formats them) is left alone, because there it is
// not an emoticon. An unclosed ``` fence runs to the end of the text; an
// unpaired single backtick is just a character.
func Emojify(text string) string {
	if !strings.ContainsAny(text, emoticonChars) {
		return text
	}
	var b strings.Builder
	last := 0 // text[:last] has been written to b
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		start, code := i, false
		i, code = tokenEnd(text, i)
		if code {
			continue
		}
		core := strings.TrimRight(text[start:i], closers)
		if len(core) > longestShortcut {
			continue // a word or a URL: no need to look it up
		}
		emoji, ok := emoticons[core]
		if !ok {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(text) + 8)
		}
		b.WriteString(text[last:start])
		b.WriteString(emoji)
		last = start + len(core)
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// tokenEnd returns the end of the whitespace-delimited token starting at i
// and whether it holds a code span. A code span may contain whitespace; the
// token then runs on to the first whitespace after the span closes.
func tokenEnd(text string, i int) (end int, code bool) {
	for i < len(text) {
		if text[i] == '`' {
			if j, ok := codeSpanEnd(text, i); ok {
				i, code = j, true
				continue
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i, code
}

// codeSpanEnd returns the end of the code span opening at text[i] == '`',
// or false when the backtick opens none.
func codeSpanEnd(text string, i int) (int, bool) {
	if strings.HasPrefix(text[i:], "```") {
		if j := strings.Index(text[i+3:], "```"); j >= 0 {
			return i + 3 + j + 3, true
		}
		return len(text), true
	}
	if j := strings.IndexByte(text[i+1:], '`'); j >= 0 {
		return i + 1 + j + 1, true
	}
	return 0, false
}
