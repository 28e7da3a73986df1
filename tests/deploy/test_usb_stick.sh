#!/bin/sh
# deploy/usb/usb-stick as udev's service runs it: a stick (an ext4 image on
# a loop device) is mounted at the kiosk's export_dir for the kiosk's user,
# a second stick is left alone, a stick without a filesystem is refused
# with a message, and pulling it out unmounts. Needs root and loop devices
# (skipped, exit 77, without them).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$ROOT/deploy/usb/usb-stick
[ "$(id -u)" = 0 ] && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null || { echo "skip: needs root, losetup, mkfs.ext4"; exit 77; }
work=$(mktemp -d)
loops=""
cleanup() {
  mountpoint -q "$work/usb" && umount -l "$work/usb"
  for l in $loops; do losetup -d "$l" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

printf 'db = "/x"\nexport_dir = "%s/usb"   # the stick\n' "$work" > "$work/kiosk.toml"
export SHELTER_KIOSK_CONFIG="$work/kiosk.toml" SHELTER_KIOSK_USER=nobody
for n in a b c; do truncate -s 16M "$work/$n.img"; done
mkfs.ext4 -q -L STICK-A "$work/a.img" && mkfs.ext4 -q -L STICK-B "$work/b.img"
a=$(losetup -f --show "$work/a.img" 2>/dev/null) || { echo "skip: no loop device"; exit 77; }
loops="$a"
b=$(losetup -f --show "$work/b.img"); loops="$loops $b"
c=$(losetup -f --show "$work/c.img"); loops="$loops $c"

check "a stick is mounted at export_dir" '"$SCRIPT" mount "${a#/dev/}" && grep -q "^$a $work/usb " /proc/mounts'
check "the kiosk user owns it, nobody else may read it" '[ "$(stat -c %U:%a "$work/usb")" = "nobody:700" ]'
check "a second stick is left alone" '"$SCRIPT" mount "${b#/dev/}" 2>&1 | grep -q "left alone" && ! grep -q "^$b " /proc/mounts'
check "pulling it out unmounts" '"$SCRIPT" unmount "${a#/dev/}" && ! mountpoint -q "$work/usb"'
check "a stick with no filesystem is refused, with a message" '! "$SCRIPT" mount "${c#/dev/}" 2>"$work/err" && grep -q "no filesystem" "$work/err"'
check "a wrong call says how to call it" '! "$SCRIPT" mount 2>"$work/err2" && grep -q usage "$work/err2"'
exit $fail
