package lang_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"higate/lang"
)

var update = flag.Bool("update", false, "rewrite README.md's lists of languages and emoticons from lang's tables")

// readme is the README that lists lang's words and emoticons.
const readme = "../README.md"

// TestREADME checks that README.md's list of languages and their words and
// its list of emoticons are exactly what lang's tables hold. The lists sit
// between marker comments; go test ./lang -run TestREADME -update rewrites
// them after a table changes.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := got
	for name, list := range map[string]string{
		"languages": languagesList(),
		"emoticons": emoticonsList(),
	} {
		begin, end := "<!-- lang:"+name+" -->\n", "<!-- /lang:"+name+" -->\n"
		i, j := strings.Index(want, begin), strings.Index(want, end)
		if i < 0 || j < i {
			t.Fatalf("%s lacks the markers %q and %q around its list of %s", readme, begin, end, name)
		}
		want = want[:i+len(begin)] + list + want[j:]
	}
	if *update {
		if err := os.WriteFile(readme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want {
		t.Errorf("%s's lists differ from lang's tables; run go test ./lang -run TestREADME -update.\ngot:\n%s\nwant:\n%s",
			readme, got, want)
	}
}

// languageNames names the rows of the languages list, in the order of
// lang.Supported; Traditional Chinese shares the Chinese row.
var languageNames = map[language.Tag]string{
	en: "English", ar: "Arabic", zh: "Chinese", nl: "Dutch", fr: "French", de: "German",
	he: "Hebrew", hi: "Hindi", id: "Indonesian", it: "Italian", ja: "Japanese",
	pt: "Portuguese", ru: "Russian", es: "Spanish", uk: "Ukrainian",
}

// languagesList renders the table of languages: each one's greetings,
// opt-outs and the fillers accepted around each.
func languagesList() string {
	var b strings.Builder
	b.WriteString("| Language | Greetings | Around a greeting | Opt-outs | Around an opt-out |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, tag := range lang.Supported() {
		name, ok := languageNames[tag]
		if !ok {
			continue // zh-Hant, in the Chinese row
		}
		tags := []string{tag.String()}
		if tag == zh {
			tags = append(tags, zhHant.String())
		}
		fmt.Fprintf(&b, "| %s (%s) |", name, strings.Join(tags, ", "))
		for _, table := range []string{"greetings", "greetingFillers", "optOuts", "optOutFillers"} {
			var words []string
			for _, e := range lang.Table(table) {
				langs := strings.Fields(e.Langs)
				switch {
				case e.Langs == "*":
					words = append(words, strings.ToUpper(e.Text))
				case slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(langs, t) }):
					words = append(words, e.Text)
				}
			}
			fmt.Fprintf(&b, " %s |", strings.Join(words, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// emoticonsList renders the list of emoticons and their emoji.
func emoticonsList() string {
	var b strings.Builder
	for _, e := range lang.Emoticons() {
		fmt.Fprintf(&b, "- `%s` → %s\n", strings.Join(strings.Fields(e.Shortcuts), "` `"), e.Emoji)
	}
	return b.String()
}

// TestLanguagesListed guards the list's names against a language added to
// the replies but not to languageNames.
func TestLanguagesListed(t *testing.T) {
	for _, tag := range lang.Supported() {
		if _, ok := languageNames[tag]; !ok && tag != zhHant {
			t.Errorf("languageNames lacks %v", tag)
		}
	}
}
