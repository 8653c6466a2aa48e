package lang

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// folders pools case folders: a cases.Caser is documented as possibly
// stateful and unsafe to share between goroutines, and Normalize runs for
// every inbound message on many goroutines at once.
var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// Normalize folds s for matching: width folding, NFKC and Unicode case
// folding; then it trims surrounding whitespace, punctuation, symbols (emoji
// included), format and control characters, and collapses every inner run of
// whitespace into one ASCII space.
//
// Combining marks are trimmed only together with the symbol they sit on (an
// emoji's variation selector or skin tone) or when nothing precedes them, so
// scripts whose words end in a mark, such as Devanagari नमस्ते, keep it.
// Invalid UTF-8 is replaced by U+FFFD first, so the result is always valid
// UTF-8, and Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if isASCII(s) {
		return normalizeASCII(s)
	}
	// One pass is enough for practically all text, but case folding can
	// leave a string that NFKC changes again (and trimming can expose a new
	// edge), so repeat until nothing moves. The bound only guards against a
	// Unicode corner case we do not know of; in practice the loop runs twice.
	for range 4 {
		t := trimAndCollapse(fold(s))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// fold applies width folding, NFKC and case folding. NFKC runs again after
// case folding because folding can produce sequences that compose.
func fold(s string) string {
	c := folders.Get().(*cases.Caser)
	defer folders.Put(c)
	s = norm.NFKC.String(width.Fold.String(s))
	return norm.NFKC.String(c.String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeASCII is Normalize's fast path: for ASCII, width folding and NFKC
// are the identity and case folding is lower-casing, so one pass over the
// bytes does it without allocating more than the result.
func normalizeASCII(s string) string {
	start, end := 0, len(s)
	for start < end && isASCIIJunk(s[start]) {
		start++
	}
	for end > start && isASCIIJunk(s[end-1]) {
		end--
	}
	s = s[start:end]
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || isASCIISpace(c) && (c != ' ' || i+1 < len(s) && s[i+1] == ' ') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIISpace(c) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isASCIISpace matches unicode.IsSpace on ASCII, so both paths agree.
func isASCIISpace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r'
}

// isASCIIJunk mirrors isJunk for ASCII: everything but letters and digits.
func isASCIIJunk(c byte) bool {
	return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
}

// isJunk reports whether r may be trimmed from the edges of a text:
// whitespace, punctuation, symbols (which include emoji and skin tones),
// controls, format characters (zero-width joiners, direction marks, emoji tag
// characters) and private-use characters.
func isJunk(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIJunk(byte(r))
	}
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) ||
		unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co) || r == utf8.RuneError
}

// isMark reports whether r is a combining mark, which belongs to the rune
// before it (emoji variation selectors and the keycap sign are marks too).
func isMark(r rune) bool {
	return r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

// trimAndCollapse trims junk and the marks attached to it from both ends and
// collapses inner whitespace. Marks are handled with the rune they attach to
// so that a word-final vowel sign is never mistaken for trailing junk.
func trimAndCollapse(s string) string {
	// Leading edge: drop junk with its marks, and marks with no base.
	start := 0
	for start < len(s) {
		r, n := utf8.DecodeRuneInString(s[start:])
		if !isJunk(r) && !isMark(r) {
			break
		}
		start += n
	}
	// Trailing edge: step back over a cluster (marks, then their base) and
	// drop it only if the base is junk.
	end := len(s)
	for end > start {
		i := end
		for i > start {
			r, n := utf8.DecodeLastRuneInString(s[start:i])
			if !isMark(r) {
				break
			}
			i -= n
		}
		if i == start { // only marks left, nothing for them to attach to
			end = start
			break
		}
		r, n := utf8.DecodeLastRuneInString(s[start:i])
		if !isJunk(r) {
			break
		}
		end = i - n
	}
	s = s[start:end]
	if !strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && unicode.IsSpace(r) }) &&
		!strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
