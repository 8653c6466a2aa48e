package lang_test

import (
	"strings"
	"testing"

	"golang.org/x/text/language"

	"higate/lang"
)

// TestClassifyAround checks, language by language, greetings and opt-outs
// with a little around them, and sentences that merely contain the word.
// The sender's country decides nothing here (+998 is not supported), so the
// language comes from the words alone.
func TestClassifyAround(t *testing.T) {
	tests := []struct {
		tag                      language.Tag
		greetings, optOuts, none []string
	}{
		{en,
			[]string{"Hi there", "Hey hi", "hi!!!", "Hi all", "Hello everyone!", "Good morning everyone",
				"hi guys 👋", "Hey there, friends", "Hello sir", "hiii there", "Hi y'all", "hi, hello"},
			[]string{"stop please", "Please stop", "STOP!!", "Stop, thanks", "Unsubscribe me",
				"unsubscribe me now please", "stop now", "Cancel pls", "STOP STOP STOP", "Stop. Thank you."},
			[]string{"I will stop by tomorrow", "Hi, can you send me the invoice for last month?",
				"don't stop", "please don't stop", "stopwatch", "stop by", "Stop the car", "never stop",
				"no stop", "hi thanks", "thanks", "please", "everyone", "there", "Hello? Anyone?",
				"hi how are you", "the end", "Quit smoking", "stop me if you can", "hi please stop"}},
		{ar,
			[]string{"مرحبا يا جماعة", "السلام عليكم ورحمة الله وبركاته", "صباح الخير", "أهلا جميعا",
				"مرحبا 👋 يا صديقي"},
			[]string{"توقف من فضلك", "إلغاء الاشتراك لو سمحت", "إيقاف، شكرا", "توقف الآن"},
			[]string{"مرحبا، كم السعر؟", "لا توقف", "شكرا", "من فضلك"}},
		{zh,
			[]string{"你好啊", "嗨你好", "大家好", "你好 大家", "哈喽哈喽", "你好呀！", "早上好各位", "嗨！你好！",
				"你好你好啊"},
			[]string{"请停止", "停止吧", "退订，谢谢", "退订谢谢", "TD 谢谢", "停止啊", "请退订"},
			[]string{"你好吗", "你好，请问价格是多少？", "不要停止", "停止营业", "谢谢", "你好谢谢", "请问",
				"你好停止"}},
		{zhHant,
			[]string{"安安你好", "哈囉大家", "早安", "你們好", "安安安安你好"},
			[]string{"請停止", "退訂謝謝", "請退訂"},
			[]string{"安安你好嗎", "請問"}},
		{nl,
			[]string{"Hoi allemaal", "Hallo allemaal", "Goedemorgen iedereen", "Hoi jongens"},
			[]string{"Afmelden a.u.b.", "Stop alsjeblieft", "Stoppen graag", "Afmelden, bedankt", "STOP aub"},
			[]string{"Hallo, ik heb een vraag", "niet stoppen", "bedankt", "stop maar niet", "nu stop"}},
		{fr,
			[]string{"Bonjour à tous", "Salut tout le monde", "Coucou les amis", "Bonjour madame",
				"Bonsoir a tous"},
			[]string{"Stop svp", "Arrêter s'il vous plaît", "Désabonner merci", "STOP s’il te plaît",
				"Arrêt maintenant"},
			[]string{"Bonjour, je voudrais un rendez-vous", "ne pas arrêter", "merci", "arrêt de bus"}},
		{de,
			[]string{"Hallo zusammen", "Hallo alle zusammen", "Guten Morgen zusammen", "Grüezi miteinander",
				"Hallo ihr Lieben", "Moin Leute", "Servus miteinander"},
			[]string{"Stop bitte", "STOPP!!", "Abmelden, danke", "Bitte abmelden", "Stopp jetzt",
				"austragen bitte danke"},
			[]string{"Hallo, ich habe eine Frage", "nicht stoppen", "Stopp mal kurz", "danke", "Hallo danke"}},
		{he,
			[]string{"שלום לכולם", "היי חברים", "שלום רב", "בוקר טוב לכולם"},
			[]string{"הסר בבקשה", "עצור, תודה", "הסר עכשיו"},
			[]string{"שלום, מה המחיר?", "אל תעצור", "תודה"}},
		{hi,
			[]string{"नमस्ते जी", "Namaste ji", "नमस्ते सभी को", "नमस्कार दोस्तों", "हेलो सर"},
			[]string{"कृपया बंद करें", "रोकें धन्यवाद", "बंद करो प्लीज़", "बंद करो प्लीज",
				"सदस्यता रद्द करें कृपया"},
			[]string{"नमस्ते, कीमत क्या है?", "दुकान बंद है", "धन्यवाद", "बंद मत करो", "अभी बंद"}},
		{id,
			[]string{"Halo kak", "Hai semua", "Selamat pagi semuanya", "Halo min", "Hallo gan"},
			[]string{"Stop dong", "Berhenti ya", "Unreg aja", "Batal, terima kasih", "Stop min",
				"tolong berhenti"},
			[]string{"Halo, berapa harganya?", "jangan berhenti", "terima kasih"}},
		{it,
			[]string{"Ciao a tutti", "Ciao ragazzi", "Buongiorno a tutti", "Salve amici"},
			[]string{"Basta per favore", "Disiscrivi grazie", "Stop subito", "Cancellami, grazie"},
			[]string{"Ciao, quanto costa?", "non basta", "grazie"}},
		{ja,
			[]string{"こんにちは みなさん", "こんにちはみなさん", "おはようございます", "こんにちはー", "ハイハイ",
				"やあみんな", "ﾊｲｰ"},
			[]string{"停止してください", "配信停止お願いします", "ストップして", "配信解除してください",
				"解除お願いします"},
			[]string{"こんにちは、値段はいくらですか", "停止しないで", "はい", "ありがとう", "お願いします"}},
		{pt,
			[]string{"Oi gente", "Olá pessoal", "Oi amigo", "Bom dia a todos", "Oie galera"},
			[]string{"Sair, obrigado", "Parar por favor", "Sair agora", "Stop obrigada"},
			[]string{"Oi, quanto custa?", "não parar", "obrigado", "oi tudo bem"}},
		{ru,
			[]string{"Привет всем", "Всем привет", "Привет, друзья!", "Добрый вечер, ребята",
				"Здравствуйте, народ"},
			[]string{"Стоп, пожалуйста", "Отписаться, спасибо", "Хватит пожалуйста"},
			[]string{"Привет, как дела?", "не стоп", "спасибо", "Привет спасибо"}},
		{es,
			[]string{"Hola amigo", "Hola a todos", "Buenas noches", "Hola chicos", "Buenos días amigos"},
			[]string{"Baja por favor", "Stop por favor", "Alto ya", "Cancelar, gracias",
				"Dar de baja por favor"},
			[]string{"Hola, ¿cómo estás?", "no baja", "la baja por maternidad", "gracias"}},
		{uk,
			[]string{"Привіт всім", "Привіт, друзі", "Добрий вечір", "Всім привіт"},
			[]string{"Стоп, будь ласка", "Відписатися, дякую"},
			[]string{"Привіт, як справи?", "дякую", "не стоп"}},
	}
	const sender = "+998901234567" // Uzbekistan: no supported language
	for _, tt := range tests {
		t.Run(tt.tag.String(), func(t *testing.T) {
			check := func(text string, intent lang.Intent, tag language.Tag) {
				t.Helper()
				if gi, gt := lang.Classify(text, sender); gi != intent || gt != tag {
					t.Errorf("Classify(%q) = %v, %v; want %v, %v", text, gi, gt, intent, tag)
				}
			}
			for _, text := range tt.greetings {
				check(text, lang.Greeting, tt.tag)
			}
			for _, text := range tt.optOuts {
				check(text, lang.OptOut, tt.tag)
			}
			for _, text := range tt.none {
				check(text, lang.None, language.Und)
			}
		})
	}
}

// TestClassifyAroundLimits checks the bounds of the rule: at most 8 words
// in all, counting each piece of text written without spaces.
func TestClassifyAroundLimits(t *testing.T) {
	tests := []struct {
		text   string
		intent lang.Intent
	}{
		{"hi there hi there hi there hi there", lang.Greeting},
		{"hi there hi there hi there hi there hi", lang.None},
		{"stop please stop please stop please thanks now", lang.OptOut},
		{"stop please stop please stop please thanks now please", lang.None},
		{"السلام عليكم ورحمة الله وبركاته يا جماعة", lang.Greeting}, // 7 words
		{strings.Repeat("你好", 8), lang.Greeting},
		{strings.Repeat("你好", 9), lang.None},
		{strings.Repeat("安", 40), lang.Greeting}, // one stretched word
		{strings.Repeat("こんにちは", 6), lang.Greeting},
		{strings.Repeat("こんにちは", 7), lang.None}, // more than 32 characters to split
		{strings.Repeat("安", 31) + "吗", lang.None},
		{strings.Repeat("你好啊", 3), lang.Greeting},
		{"please", lang.None}, // a filler alone
		{"there there", lang.None},
	}
	for _, tt := range tests {
		if got, _ := lang.Classify(tt.text, ""); got != tt.intent {
			t.Errorf("Classify(%q) = %v; want %v", tt.text, got, tt.intent)
		}
	}
}
