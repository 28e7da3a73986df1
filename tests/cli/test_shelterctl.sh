#!/bin/bash
# shelterctl as a user runs it: every command, every bad input, and proof that
# a failed command changed nothing (same event count, same export, same counts).
# usage: test_shelterctl.sh SHELTERCTL TEST_DATA_DIR
set -uo pipefail
ctl=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
contains "$err" "row 2" "message names the row"
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

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
