package lang

// This file is data: the greetings and opt-out words Classify knows. Each
// entry lists one spelling and the languages (BCP 47) that use it, the
// default first; Classify picks the sender's country language when it is in
// the list and the default otherwise. "*" means any language: the sender's
// country language if it is supported, English if not.
//
// Spellings are written the way people type them. Case, width, accents,
// Arabic vowel marks, tatweel and Hebrew niqqud need no variants here
// because matchKey folds them; a spelling that folds onto another entry's is
// a duplicate and fails start-up. Words that only live in one script's
// transliteration ("marhaba", "privet") are listed so that people on a Latin
// keyboard are understood too.

// greetings register the sender on the gateway.
var greetings = []struct{ text, langs string }{
	// English
	{"hi", "en"}, {"hello", "en"}, {"hey", "en"}, {"hiya", "en"}, {"howdy", "en"},
	{"hi there", "en"}, {"hello there", "en"}, {"hey there", "en"},
	{"good morning", "en"}, {"good afternoon", "en"}, {"good evening", "en"},
	// Arabic
	{"مرحبا", "ar"}, {"أهلا", "ar"}, {"أهلا وسهلا", "ar"}, {"هلا", "ar"}, {"هاي", "ar"},
	{"السلام عليكم", "ar"}, {"سلام", "ar"}, {"marhaba", "ar"}, {"salam", "ar"},
	// Chinese. 安安 is a Taiwanese greeting and "Ching" is read as Taiwanese
	// romanized Chinese, so both default to Traditional script.
	{"你好", "zh zh-Hant"}, {"您好", "zh zh-Hant"}, {"嗨", "zh zh-Hant"},
	{"哈喽", "zh"}, {"哈囉", "zh-Hant"}, {"安安", "zh-Hant"}, {"ching", "zh-Hant"},
	{"ni hao", "zh zh-Hant"}, {"nihao", "zh zh-Hant"},
	// Dutch and German share Hallo and Hoi; German has the most speakers, so
	// it is Hallo's default, while Hoi is mostly Dutch (and Swiss German).
	// Indonesians often spell Halo as Hallo.
	{"hallo", "de nl id"}, {"hoi", "nl de"}, {"goedemorgen", "nl"}, {"goedendag", "nl"},
	{"goedemiddag", "nl"}, {"goedenavond", "nl"},
	// French
	{"salut", "fr"}, {"bonjour", "fr"}, {"bonsoir", "fr"}, {"coucou", "fr"},
	// German
	{"guten tag", "de"}, {"guten morgen", "de"}, {"servus", "de"}, {"moin", "de"},
	{"grüß gott", "de"}, {"grüezi", "de"},
	// Hebrew
	{"היי", "he"}, {"הי", "he"}, {"שלום", "he"}, {"shalom", "he"},
	// Hindi
	{"नमस्ते", "hi"}, {"नमस्कार", "hi"}, {"हेलो", "hi"}, {"हैलो", "hi"}, {"हाय", "hi"},
	{"namaste", "hi"}, {"namaskar", "hi"},
	// Indonesian. Hai is also casual English; Indonesian is its default.
	{"hai", "id en"}, {"halo", "id"}, {"selamat pagi", "id"}, {"selamat siang", "id"},
	{"selamat sore", "id"}, {"selamat malam", "id"},
	// Italian
	{"ciao", "it"}, {"salve", "it"}, {"buongiorno", "it"}, {"buonasera", "it"},
	// Japanese. ハイ is the katakana "hi"; hiragana はい means "yes" and is
	// deliberately absent.
	{"こんにちは", "ja"}, {"こんにちわ", "ja"}, {"ハイ", "ja"}, {"ハロー", "ja"},
	{"やあ", "ja"}, {"おはよう", "ja"}, {"konnichiwa", "ja"},
	// Portuguese. "Ola" is how Olá arrives without the accent.
	{"oi", "pt"}, {"oie", "pt"}, {"olá", "pt"}, {"bom dia", "pt"}, {"boa tarde", "pt"},
	// Russian
	{"привет", "ru"}, {"здравствуй", "ru"}, {"здравствуйте", "ru"}, {"здрасте", "ru"},
	{"здрасьте", "ru"}, {"добрый день", "ru"}, {"доброе утро", "ru"}, {"privet", "ru"},
	{"хай", "ru uk"},
	// Spanish
	{"hola", "es"}, {"buenas", "es"}, {"buenos días", "es"}, {"buenas tardes", "es"},
	// Ukrainian
	{"привіт", "uk"}, {"вітаю", "uk"}, {"добрий день", "uk"}, {"доброго дня", "uk"},
	{"pryvit", "uk"},
}

// optOuts end the sender's registration.
var optOuts = []struct{ text, langs string }{
	// STOP is understood everywhere, so its language is the sender's.
	{"stop", "*"},
	// English, with the keywords carriers honour for SMS.
	{"unsubscribe", "en"}, {"unsub", "en"}, {"stopall", "en"}, {"stop all", "en"},
	{"cancel", "en"}, {"end", "en"}, {"quit", "en"}, {"opt out", "en"},
	{"optout", "en"}, {"opt-out", "en"},
	// Arabic
	{"توقف", "ar"}, {"إلغاء الاشتراك", "ar"}, {"إلغاء", "ar"}, {"إيقاف", "ar"},
	// Chinese and Japanese share 停止; Chinese has the most speakers.
	{"停止", "zh zh-Hant ja"}, {"退订", "zh"}, {"退訂", "zh-Hant"}, {"取消订阅", "zh"},
	{"取消訂閱", "zh-Hant"}, {"退出", "zh zh-Hant"}, {"td", "zh"},
	// Dutch. Stoppen is also German; Dutch is its default because that is
	// where it is the opt-out word.
	{"afmelden", "nl"}, {"stoppen", "nl de"}, {"uitschrijven", "nl"},
	// French
	{"arrêter", "fr"}, {"arrêt", "fr"}, {"désabonner", "fr"}, {"se désabonner", "fr"},
	{"me désabonner", "fr"}, {"désinscrire", "fr"}, {"désinscription", "fr"},
	// German
	{"abmelden", "de"}, {"stopp", "de"}, {"austragen", "de"}, {"abbestellen", "de"},
	// Hebrew. הסר is the word Israeli law requires senders to honour.
	{"הסר", "he"}, {"עצור", "he"}, {"הסרה", "he"}, {"הפסק", "he"},
	// Hindi
	{"रोकें", "hi"}, {"रोको", "hi"}, {"बंद करो", "hi"}, {"बंद करें", "hi"}, {"बंद", "hi"},
	{"सदस्यता रद्द करें", "hi"},
	// Indonesian. UNREG is the usual Indonesian SMS keyword.
	{"berhenti", "id"}, {"berhenti langganan", "id"}, {"unreg", "id"}, {"batal", "id"},
	// Italian. Basta ("enough") is also Spanish and Portuguese.
	{"basta", "it es pt"}, {"disiscrivi", "it"}, {"disiscriviti", "it"},
	{"cancellami", "it"}, {"annulla iscrizione", "it"},
	// Japanese
	{"ストップ", "ja"}, {"配信停止", "ja"}, {"配信解除", "ja"}, {"解除", "ja"},
	// Portuguese. Parar is also Spanish; cancelar is more often Spanish.
	{"parar", "pt es"}, {"sair", "pt"}, {"descadastrar", "pt"}, {"cancelar", "es pt"},
	// Russian and Ukrainian share СТОП; Russian has the most speakers.
	{"стоп", "ru uk"}, {"отписаться", "ru"}, {"отписка", "ru"},
	{"отменить подписку", "ru"}, {"хватит", "ru"},
	// Spanish
	{"alto", "es"}, {"baja", "es"}, {"dar de baja", "es"}, {"darme de baja", "es"},
	{"darse de baja", "es"}, {"detener", "es"},
	// Ukrainian
	{"відписатися", "uk"}, {"відписка", "uk"}, {"скасувати підписку", "uk"},
}
