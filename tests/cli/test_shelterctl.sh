#!/bin/bash
# shelterctl as a user runs it: every command, every bad input, and proof that
# a failed command changed nothing (same event count, same export, same counts).
# usage: test_shelterctl.sh SHELTERCTL TEST_DATA_DIR SHELTER_SERVER
set -uo pipefail
ctl=$1
data=$2
server=$3
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
export SHELTER_DB="$work/s.db"
failures=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failures=$((failures + 1)); }

# expect CODE DESCRIPTION -- command...: runs, keeps stdout/stderr in $out/$err
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  out=$(cat "$work/out"); err=$(cat "$work/err")
  if [ "$got" -eq "$want" ]; then ok "$what"; else bad "$what: exit $got, wanted $want; stderr: $err"; fi
}
contains() { # contains TEXT NEEDLE DESCRIPTION
  if grep -qF -- "$2" <<<"$1"; then ok "$3"; else bad "$3: '$2' not in: $1"; fi
}
state() { # a fingerprint of everything a user can see
  { "$ctl" check; "$ctl" export --csv --all; "$ctl" counts --all --json; } 2>&1
}
unchanged() { # unchanged BEFORE DESCRIPTION
  local now; now=$(state)
  if [ "$1" = "$now" ]; then ok "$2: nothing changed"; else bad "$2: state changed"; diff <(echo "$1") <(echo "$now") | head; fi
}

expect 1 "commands before init explain what to do" -- "$ctl" list
contains "$err" "shelterctl init" "missing database message names init"
expect 1 "init rejects a bad shelter id" -- "$ctl" init --shelter "Bad Id!" --device d1
[ ! -e "$SHELTER_DB" ] && ok "failed init wrote no database" || bad "failed init left a database"
expect 0 "init" -- "$ctl" init --shelter tama-01 --device tama-01-a --name 多摩第一小学校
expect 0 "check on an empty store" -- "$ctl" check
contains "$out" "integrity: ok" "integrity ok"
contains "$out" "events: 0" "no events yet"

expect 0 "walk-in check-in" -- "$ctl" checkin --name "Nguyen Van An" --reading "グエン ヴァン アン" --sex M --birth 1995 --needs language --stay car --consent
walkin=$(grep -oE '[0-9a-f]{16}' <<<"$out" | head -1)
[ -n "$walkin" ] && ok "check-in printed a person id" || bad "no id in: $out"

before=$(state)
expect 1 "bad birth date is refused" -- "$ctl" checkin --name X --birth 1995-13-40
contains "$err" "birth" "message names the field"
unchanged "$before" "bad birth date"
expect 1 "unknown need is refused" -- "$ctl" checkin --name X --needs flying
unchanged "$before" "unknown need"
expect 1 "bad sex is refused" -- "$ctl" checkin --name X --sex Q
unchanged "$before" "bad sex"
expect 1 "empty name is refused" -- "$ctl" checkin --sex F
unchanged "$before" "empty name"
expect 1 "unknown person id" -- "$ctl" out ffffffffffffffff
unchanged "$before" "unknown person"
expect 1 "correct without --staff" -- "$ctl" correct "$walkin" name=Someone
contains "$err" "staff" "message asks for staff"
unchanged "$before" "correct without staff"

# Cards
expect 0 "decode a card image" -- "$ctl" decode "$data/qr/card-gray.png"
if [ "$out" = "$(cat "$data/qr/card.txt")" ]; then ok "decode prints the exact payload"; else bad "decoded text differs"; fi
expect 1 "decode: image without a QR" -- "$ctl" decode "$data/qr/no-qr.png"
expect 2 "decode: not an image" -- "$ctl" decode "$data/qr/not-an-image.png"
expect 2 "decode: truncated image" -- "$ctl" decode "$data/qr/truncated.png"
expect 2 "decode: missing file" -- "$ctl" decode "$work/none.png"

before=$(state)
expect 1 "import a URL QR" -- "$ctl" import-card "$data/qr/url.png"
contains "$err" "not a shelter check-in code" "URL QR is named as foreign"
unchanged "$before" "URL QR"
expect 1 "import a non-image" -- "$ctl" import-card "$data/qr/not-an-image.png"
unchanged "$before" "non-image"
expect 1 "import an image with no QR" -- "$ctl" import-card "$data/qr/no-qr.png"
unchanged "$before" "no QR"

expect 0 "import a household card (JPEG from a webcam)" -- "$ctl" import-card "$data/qr/card-webcam.jpg"
contains "$out" "Checked in 4 of 4" "four members checked in"
contains "$out" "Not signed by the city: its members are new persons here" "an unsigned card is a pre-fill"
# Its members got ids of this store, never the card's (which anyone can
# write on a card): the card's 1111... is person $p1 here.
alias() { sqlite3 "$SHELTER_DB" "SELECT value FROM meta WHERE key = 'card_alias:p:$1'"; }
p1=$(alias 1111111111111111)
p2=$(alias 2222222222222222)
if [ -n "$p1" ] && [ "$p1" != 1111111111111111 ] && [ -n "$p2" ]; then ok "pre-filled members have new ids"; else bad "pre-fill ids: '$p1' '$p2'"; fi
expect 1 "the card's own id names nobody" -- "$ctl" history 1111111111111111
expect 0 "scan the same card again" -- "$ctl" import-card "$data/qr/card-gray.png"
contains "$out" "Already here" "second scan says already here"
expect 0 "counts json" -- "$ctl" counts --json
contains "$out" '"present": 5' "five present"
contains "$out" '"households": 2' "two households"

# out / back / leave
expect 0 "went out" -- "$ctl" out "$p1"
expect 0 "counts after out" -- "$ctl" counts --json
contains "$out" '"present": 4' "four present while one is out"
contains "$out" '"out": 1' "one out"
expect 0 "came back" -- "$ctl" back "$p1"
expect 0 "left" -- "$ctl" leave "$p2"
expect 0 "counts after leave" -- "$ctl" counts --json
contains "$out" '"present": 4' "four present after one left"
expect 0 "history is the audit trail" -- "$ctl" history "$p2"
contains "$out" "left" "history shows leaving"

# staff correction, CSV export safety
expect 0 "export csv to a file" -- "$ctl" export --csv --out "$work/roster.csv"
[ -s "$work/roster.csv" ] && ok "roster file written" || bad "no roster file"
expect 1 "export into a missing folder" -- "$ctl" export --csv --out "$work/no/such/dir/r.csv"

# make-card
expect 0 "make cards" -- "$ctl" make-card "$data/qr/residents.csv" --out "$work/cards" --format both
n_png=$(ls "$work/cards"/*.png 2>/dev/null | wc -l); n_svg=$(ls "$work/cards"/*.svg 2>/dev/null | wc -l)
[ "$n_png" -ge 1 ] && [ "$n_png" -eq "$n_svg" ] && ok "PNG and SVG cards made" || bad "cards: $n_png png, $n_svg svg"
first=$(ls "$work/cards"/*.png | head -1)
expect 0 "a made card decodes" -- "$ctl" decode "$first"
contains "$out" "SC:" "made card carries a shelter code"
printf 'household,name,birth\nA,Taro,1990-02-31\n' >"$work/bad.csv"
expect 1 "make-card refuses a bad row" -- "$ctl" make-card "$work/bad.csv" --out "$work/badcards"
contains "$err" "line 2" "message names the line"
[ ! -e "$work/badcards" ] && ok "bad CSV wrote no cards" || bad "bad CSV left files"
expect 1 "make-card: missing CSV" -- "$ctl" make-card "$work/none.csv" --out "$work/c2"

# volunteers for the kiosk's staff mode: PINs on stdin, bad input changes nothing
with_pin() { local pin=$1; shift; printf '%s\n' "$pin" | "$@"; }
team() { "$ctl" volunteers 2>&1; }
expect 0 "nobody enrolled yet" -- "$ctl" volunteers
contains "$out" "staff mode is closed" "an empty team says staff mode is closed"
team_before=$(team)
expect 1 "add-volunteer: a 4-digit PIN is refused" -- with_pin 2468 "$ctl" add-volunteer --name Sato --lead
contains "$err" "6 to 12 digits" "the message gives the PIN rule"
expect 1 "add-volunteer: 123456 is refused" -- with_pin 123456 "$ctl" add-volunteer --name Sato --lead
expect 1 "add-volunteer: no PIN on stdin" -- "$ctl" add-volunteer --name Sato --lead </dev/null
expect 1 "add-volunteer: a control character in the name" -- with_pin 246813 "$ctl" add-volunteer --name $'Sa\tto' --lead
[ "$team_before" = "$(team)" ] && ok "refused volunteers changed nothing" || bad "a refused volunteer was stored"
expect 0 "add-volunteer: the first lead" -- with_pin 246813 "$ctl" add-volunteer --name "佐藤 花子" --lead
expect 0 "add-volunteer: a volunteer" -- with_pin 975310 "$ctl" add-volunteer --name "Nguyen Van An"
expect 1 "add-volunteer: a name already enrolled" -- with_pin 864209 "$ctl" add-volunteer --name "Nguyen Van An"
expect 0 "add-volunteer --replace: a new PIN" -- with_pin 864209 "$ctl" add-volunteer --name "Nguyen Van An" --replace
expect 0 "volunteers lists them" -- "$ctl" volunteers
contains "$out" $'佐藤 花子\tlead' "the lead is listed"
contains "$out" $'Nguyen Van An\tvolunteer' "the volunteer is listed"
if grep -q "246813\|argon2" <<<"$out"; then bad "volunteers shows a PIN or hash"; else ok "no PIN or hash is shown"; fi
expect 1 "remove-volunteer: the last lead stays" -- "$ctl" remove-volunteer --name "佐藤 花子"
expect 0 "remove-volunteer" -- "$ctl" remove-volunteer --name "Nguyen Van An"
expect 1 "remove-volunteer: not enrolled" -- "$ctl" remove-volunteer --name "Nguyen Van An"
expect 0 "staff-unlock" -- "$ctl" staff-unlock
# a lead vouches for a volunteer with their own PIN (the server registers
# only vouched keys), and staff commands need the volunteer's PIN
expect 1 "add-volunteer --by: a wrong lead PIN" -- sh -c "printf '975310\n111111\n' | '$ctl' add-volunteer --name Ito --by '佐藤 花子'"
expect 0 "add-volunteer --by a lead" -- sh -c "printf '975310\n246813\n' | '$ctl' add-volunteer --name Ito --by '佐藤 花子'"
expect 0 "volunteers says what the server answered" -- "$ctl" volunteers
contains "$out" $'Ito\tvolunteer\t' "the vouched volunteer is listed"
contains "$out" "not yet at the server" "keys wait for the next sync"
correction_before=$(state)
expect 1 "staff correction by someone not enrolled" -- with_pin 246813 "$ctl" --staff yamada correct "$walkin" phone=1
contains "$err" "not a volunteer enrolled at this kiosk" "the message says who may"
expect 1 "staff correction with a wrong PIN" -- with_pin 111111 "$ctl" --staff "佐藤 花子" correct "$walkin" phone=1
expect 1 "staff correction without a PIN" -- "$ctl" --staff "佐藤 花子" correct "$walkin" phone=1 </dev/null
unchanged "$correction_before" "refused staff corrections"
expect 0 "staff correction" -- with_pin 246813 "$ctl" --staff "佐藤 花子" correct "$walkin" "name==1+1" phone=090-1111-2222
expect 0 "export csv" -- "$ctl" export --csv
contains "$out" "'=1+1" "formula in a name is neutralised in CSV"

# integrity and rebuild
expect 0 "rebuild projections" -- "$ctl" rebuild
before_rebuild=$(state)
expect 0 "rebuild again" -- "$ctl" rebuild
unchanged "$before_rebuild" "second rebuild"
expect 0 "demo runs" -- "$ctl" demo --dir "$work/demo"

# Headquarters' key by hand. A kiosk enrolled before headquarters made its
# key, and offline since, refuses to write a USB export until it trusts the
# public key file headquarters hands it; then headquarters imports the file.
hq_db="$work/hq.db"
code=$("$server" --db "$hq_db" enrol-code --shelter tama-02 --device tama-02-a)
"$server" --db "$hq_db" --port 0 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$work/server.log" | grep -oE '[0-9]+$')
  [ -n "$port" ] && break
  sleep 0.1
done
off="$work/offline.db"
expect 0 "a kiosk enrols before headquarters has a key" -- with_pin 246813 "$ctl" --db "$off" enrol --shelter tama-02 \
  --device tama-02-a --server "http://127.0.0.1:$port" --code "$code" --lead Sato
kill "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=""
expect 0 "a check-in at the offline kiosk" -- "$ctl" --db "$off" checkin --name "Offline person" --birth 1980
expect 1 "export-unsynced without headquarters' key" -- "$ctl" --db "$off" export-unsynced "$work/off.usb"
contains "$err" "trust-hq-key" "the refusal names the way without a network"
expect 1 "hq-key --public-out before there is a key" -- "$server" --db "$hq_db" hq-key --public-out "$work/hq.pub"
contains "$err" "no headquarters key yet" "it says to make one"
expect 1 "hq-key with no file to write" -- "$server" --db "$hq_db" hq-key
expect 0 "headquarters makes its key and the public file" -- "$server" --db "$hq_db" hq-key --out "$work/hq.key" \
  --public-out "$work/hq.pub"
hq_id=$(grep -oE 'Headquarters key [0-9a-f]{16}' <<<"$out" | grep -oE '[0-9a-f]{16}$')
[ -n "$hq_id" ] && ok "hq-key printed the key id" || bad "no key id in: $out"
contains "$out" "trust-hq-key $work/hq.pub" "it says what to run at the kiosk"
if grep -q secret_key "$work/hq.pub"; then bad "the public file holds the secret"; else ok "the public file holds no secret"; fi
expect 0 "the public file again, of the current key" -- "$server" --db "$hq_db" hq-key --public-out "$work/hq2.pub"
cmp -s "$work/hq.pub" "$work/hq2.pub" && ok "the same file" || bad "hq-key --public-out wrote another key"
hq_keys() { sqlite3 "$off" "SELECT kind, key_id, revoked FROM trusted_key ORDER BY 1, 2"; }
keys_before=$(hq_keys)
expect 1 "trust-hq-key refuses the secret key file" -- "$ctl" --db "$off" trust-hq-key "$work/hq.key"
contains "$err" "secret key file" "it says the secret never leaves headquarters"
sed -E 's/("key_id": ")[0-9a-f]{16}/\10000000000000000/' "$work/hq.pub" >"$work/damaged.pub"
expect 1 "trust-hq-key refuses a damaged file" -- "$ctl" --db "$off" trust-hq-key "$work/damaged.pub"
contains "$err" "does not match" "the key id does not match the key"
expect 1 "trust-hq-key refuses a file that is no key" -- "$ctl" --db "$off" trust-hq-key "$data/qr/residents.csv"
contains "$err" "not a headquarters key file" "the message says what the file is not"
expect 1 "trust-hq-key: missing file" -- "$ctl" --db "$off" trust-hq-key "$work/none.pub"
[ "$keys_before" = "$(hq_keys)" ] && ok "refused key files changed nothing" || bad "a refused key file changed the keys"
expect 0 "trust-hq-key" -- "$ctl" --db "$off" trust-hq-key "$work/hq.pub"
contains "$out" "$hq_id" "it shows the key id headquarters printed"
expect 0 "trust-hq-key again" -- "$ctl" --db "$off" trust-hq-key "$work/hq.pub"
contains "$out" "nothing changed" "the same key twice changes nothing"
expect 0 "export-unsynced works offline" -- "$ctl" --db "$off" export-unsynced "$work/off.usb"
head -n 1 "$work/off.usb" | grep -qF "\"hq_key\":\"$hq_id\"" && ok "sealed to that key" || bad "not sealed to $hq_id"
if grep -q "Offline person" "$work/off.usb"; then bad "a name in clear"; else ok "no name in clear"; fi
expect 0 "headquarters imports it with the secret key" -- "$server" --db "$hq_db" --hq-key "$work/hq.key" import \
  "$work/off.usb"
contains "$out" "Imported 2 new of 2 event(s) from device tama-02-a" "the check-in reached headquarters"
# A new key at headquarters: its file replaces the old key at the kiosk. A
# key the server's list showed revoked (as a sync brings it) is a stale file.
expect 0 "headquarters makes a new key" -- "$server" --db "$hq_db" hq-key --out "$work/new.key" --public-out "$work/new.pub"
expect 0 "trust-hq-key with the new file" -- "$ctl" --db "$off" trust-hq-key "$work/new.pub"
contains "$out" "in place of $hq_id" "it says which key it replaces"
[ "$(sqlite3 "$off" "SELECT count(*) FROM trusted_key WHERE kind = 'hq'")" = 1 ] && ok "one headquarters key" \
  || bad "headquarters keys: $(hq_keys)"
sqlite3 "$off" "INSERT INTO trusted_key(key_id, kind, device_id, shelter_id, public_key, revoked)
  VALUES('$hq_id', 'hq', '', '', '$(grep -oE '[0-9a-f]{64}' "$work/hq.pub")', 1)"
keys_before=$(hq_keys)
expect 1 "trust-hq-key refuses a key the server revoked" -- "$ctl" --db "$off" trust-hq-key "$work/hq.pub"
contains "$err" "was replaced" "it asks for the current file"
[ "$keys_before" = "$(hq_keys)" ] && ok "the stale file changed nothing" || bad "the stale file changed the keys"

# The paper fallback: PDFs of the roster, a blank card and a household's
# passes (tests/unit/test_paper.cpp looks inside them); bad input writes
# no file.
before=$(state)
expect 0 "print roster" -- "$ctl" print roster --lang en --out "$work/roster.pdf"
[ "$(head -c 5 "$work/roster.pdf")" = "%PDF-" ] && ok "the roster is a PDF" || bad "no PDF roster"
[ "$(stat -c %a "$work/roster.pdf")" = 600 ] && ok "the roster is for its owner only" || bad "roster mode"
expect 0 "print blank-card without a database" -- env SHELTER_DB="$work/none.db" "$ctl" print blank-card --out "$work/card.pdf"
[ ! -e "$work/none.db" ] && ok "no database made for a blank card" || bad "print blank-card made a database"
household=$("$ctl" list --json | grep -m1 -oE '"household": "[0-9a-f]{16}"' | grep -oE '[0-9a-f]{16}')
expect 0 "print passes" -- "$ctl" print passes --household "$household" --out "$work/passes.pdf"
expect 1 "print passes of nobody here" -- "$ctl" print passes --household ffffffffffffffff --out "$work/nobody.pdf"
contains "$err" "nobody of household" "it says nobody is here"
expect 105 "print refuses an unknown language" -- "$ctl" print roster --lang fr --out "$work/fr.pdf"
[ ! -e "$work/nobody.pdf" ] && [ ! -e "$work/fr.pdf" ] && ok "refused prints wrote no file" || bad "a refused print wrote a file"
unchanged "$before" "print"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
