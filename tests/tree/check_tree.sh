#!/bin/bash
# Checks the shape of the checkout, as CI sees it (ctest runs this):
#   format     every tracked C++ source is as clang-format (.clang-format) writes it
#   artefacts  nothing tracked is a build or test artefact, and .gitignore covers them
#   length     no C++ source over 600 lines without a reason at its top
#              (a comment line starting "// Long:")
#   commits    commit subjects after the first checked one are at most 72 characters
# usage: check_tree.sh REPO_ROOT [format|artefacts|length|commits]...  (default: all)
# Prints one line per problem; exit 1 if any.
set -u
root=$1
shift
checks=${*:-format artefacts length commits}
cd "$root" || exit 2
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check_tree: $root is not a git checkout; nothing to check"
  exit 0
fi
problems=0
problem() { echo "$*"; problems=$((problems + 1)); }
sources() { git ls-files -- '*.cpp' '*.hpp' '*.h' | grep -v '^tests/fuzz/corpus/'; }

for check in $checks; do
  case $check in
  format)
    fmt=$(command -v clang-format-14 || command -v clang-format)
    [ -n "$fmt" ] || { problem "format: clang-format is not installed (deploy/packages.txt)"; continue; }
    while read -r f; do
      [ -f "$f" ] || continue
      "$fmt" --style=file "$f" | cmp -s - "$f" || problem "format: $f differs from clang-format (run: clang-format -i $f)"
    done < <(sources)
    ;;
  artefacts)
    # Built or generated files never belong in the history.
    while read -r f; do
      problem "artefacts: $f is tracked but is a build or test artefact (git rm --cached it)"
    done < <(git ls-files | grep -E '(^|/)(__pycache__|node_modules|build[^/]*|CMakeFiles)/|\.(pyc|o|a|so|gcda|gcno|profraw)$|^tests/artifacts/|(^|/)(CMakeCache\.txt|compile_commands\.json)$|\.db(-wal|-shm)?$')
    for probe in build/x __pycache__/x.pyc tests/artifacts/x.png tests/dashboard/node_modules/x kiosk.db; do
      git check-ignore -q --no-index "$probe" || problem "artefacts: .gitignore does not cover $probe"
    done
    ;;
  length)
    while read -r f; do
      [ -f "$f" ] || continue
      n=$(wc -l <"$f")
      if [ "$n" -gt 600 ] && ! head -n 15 "$f" | grep -q '^// Long:'; then
        problem "length: $f has $n lines; split it, or say why not in a '// Long:' comment at its top"
      fi
    done < <(sources)
    ;;
  commits)
    # Subjects were long before this check landed; from it on they are short.
    first=$(git log --format=%H --grep='^tests: check the tree' -n 1 2>/dev/null)
    if [ -z "$first" ]; then
      echo "check_tree: commits: the first checked commit is not in this history (shallow clone?); skipped"
      continue
    fi
    while IFS= read -r line; do
      hash=${line%% *}
      subject=${line#* }
      [ "${#subject}" -le 72 ] || problem "commits: $hash subject is ${#subject} characters (at most 72): $subject"
    done < <(git log --format='%h %s' "$first^..HEAD" 2>/dev/null)
    ;;
  *) problem "check_tree: unknown check $check" ;;
  esac
done
[ "$problems" -eq 0 ] && echo "check_tree: $checks: ok"
[ "$problems" -eq 0 ]
