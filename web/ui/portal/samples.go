package portal

import (
	"fmt"
	"strconv"
)

// secretPlaceholder stands for the secret in code samples: the portal
// never has it after the one page that shows a new one.
const secretPlaceholder = "YOUR_CLIENT_SECRET"

// sampleNumber is the recipient in the samples: a number in the format
// the API takes, to be replaced with one who said Hi.
const sampleNumber = "4915112345678"

// sample is ready-to-paste code that sends a text message.
type sample struct {
	ID, Label, Code string
}

// samples returns code in curl, Python, PHP, Node and Go that sends a text
// message with the account's own client ID and instance filled in. Values
// go in with %q, a valid string literal in every one of these languages
// for the characters IDs and URLs are made of.
func samples(base, clientID, secret string, instance uint64) []sample {
	endpoint := base + "/v3/whatsapp/single/text/message/" + strconv.FormatUint(instance, 10)
	return []sample{
		{"sample-curl", "curl", fmt.Sprintf(`curl -X POST %s \
  -H 'X-WM-CLIENT-ID: %s' \
  -H 'X-WM-CLIENT-SECRET: %s' \
  -H 'Content-Type: application/json' \
  -d '{"number": "%s", "message": "Hello from Higate"}'`, endpoint, clientID, secret, sampleNumber)},

		{"sample-python", "Python", fmt.Sprintf(`import requests

resp = requests.post(
    %q,
    headers={"X-WM-CLIENT-ID": %q, "X-WM-CLIENT-SECRET": %q},
    json={"number": %q, "message": "Hello from Higate"},
    timeout=30,
)
print(resp.status_code, resp.json())`, endpoint, clientID, secret, sampleNumber)},

		{"sample-php", "PHP", fmt.Sprintf(`<?php
$ch = curl_init(%q);
curl_setopt_array($ch, [
    CURLOPT_POST => true,
    CURLOPT_RETURNTRANSFER => true,
    CURLOPT_HTTPHEADER => [
        'X-WM-CLIENT-ID: %s',
        'X-WM-CLIENT-SECRET: %s',
        'Content-Type: application/json',
    ],
    CURLOPT_POSTFIELDS => json_encode(['number' => %q, 'message' => 'Hello from Higate']),
]);
$body = curl_exec($ch);
echo curl_getinfo($ch, CURLINFO_HTTP_CODE), ' ', $body, PHP_EOL;`, endpoint, clientID, secret, sampleNumber)},

		{"sample-node", "Node", fmt.Sprintf(`const resp = await fetch(%q, {
  method: "POST",
  headers: {
    "X-WM-CLIENT-ID": %q,
    "X-WM-CLIENT-SECRET": %q,
    "Content-Type": "application/json",
  },
  body: JSON.stringify({ number: %q, message: "Hello from Higate" }),
});
console.log(resp.status, await resp.json());`, endpoint, clientID, secret, sampleNumber)},

		{"sample-go", "Go", fmt.Sprintf(`package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

func main() {
	body := strings.NewReader(%s)
	req, err := http.NewRequest("POST", %q, body)
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-WM-CLIENT-ID", %q)
	req.Header.Set("X-WM-CLIENT-SECRET", %q)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(out))
}`, "`"+fmt.Sprintf(`{"number": %q, "message": "Hello from Higate"}`, sampleNumber)+"`", endpoint, clientID, secret)},
	}
}
