#include "kiosk/ime/hangul.hpp"

#include <hangul.h>

#include "core/utf8.hpp"

namespace shelter::ime {

namespace {

std::string ucs_to_utf8(const ucschar* s) {
  std::string out;
  for (; s && *s; ++s) utf8_append(static_cast<char32_t>(*s), out);
  return out;
}

}  // namespace

const std::vector<HangulKey>& dubeolsik_layout() {
  static const std::vector<HangulKey> layout = {
      {'q', U'ㅂ'}, {'w', U'ㅈ'}, {'e', U'ㄷ'}, {'r', U'ㄱ'}, {'t', U'ㅅ'}, {'y', U'ㅛ'}, {'u', U'ㅕ'},
      {'i', U'ㅑ'}, {'o', U'ㅐ'}, {'p', U'ㅔ'}, {'a', U'ㅁ'}, {'s', U'ㄴ'}, {'d', U'ㅇ'}, {'f', U'ㄹ'},
      {'g', U'ㅎ'}, {'h', U'ㅗ'}, {'j', U'ㅓ'}, {'k', U'ㅏ'}, {'l', U'ㅣ'}, {'z', U'ㅋ'}, {'x', U'ㅌ'},
      {'c', U'ㅊ'}, {'v', U'ㅍ'}, {'b', U'ㅠ'}, {'n', U'ㅜ'}, {'m', U'ㅡ'}, {'Q', U'ㅃ'}, {'W', U'ㅉ'},
      {'E', U'ㄸ'}, {'R', U'ㄲ'}, {'T', U'ㅆ'}, {'O', U'ㅒ'}, {'P', U'ㅖ'},
  };
  return layout;
}

char dubeolsik_key(char32_t jamo) {
  for (const HangulKey& k : dubeolsik_layout())
    if (k.jamo == jamo) return k.key;
  return 0;
}

struct HangulComposer::Impl {
  HangulInputContext* ic = hangul_ic_new("2");
  ~Impl() {
    if (ic) hangul_ic_delete(ic);
  }
};

HangulComposer::HangulComposer() : impl_(std::make_unique<Impl>()) {}
HangulComposer::~HangulComposer() = default;
HangulComposer::HangulComposer(HangulComposer&&) noexcept = default;
HangulComposer& HangulComposer::operator=(HangulComposer&&) noexcept = default;

void HangulComposer::take_commit() {
  committed_ += ucs_to_utf8(hangul_ic_get_commit_string(impl_->ic));
}

void HangulComposer::key(char ascii) {
  if (ascii < 0x20 || ascii > 0x7E) return;
  // libhangul maps upper-case keys without a shifted jamo to the plain one
  // (A -> ㅁ), so a caps-lock keyboard still types Hangul.
  const bool used = hangul_ic_process(impl_->ic, ascii);
  take_commit();
  if (!used) {
    committed_ += ucs_to_utf8(hangul_ic_flush(impl_->ic));
    committed_ += ascii;
  }
}

bool HangulComposer::jamo(char32_t jamo) {
  const char k = dubeolsik_key(jamo);
  if (k == 0) return false;
  key(k);
  return true;
}

bool HangulComposer::backspace() {
  if (hangul_ic_backspace(impl_->ic)) return true;
  if (committed_.empty()) return false;
  // Drop the last code point: its lead byte is the last non-continuation byte.
  size_t i = committed_.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(committed_[i]) & 0xC0) == 0x80) --i;
  committed_.erase(i);
  return true;
}

void HangulComposer::clear() {
  hangul_ic_reset(impl_->ic);
  committed_.clear();
}

std::string HangulComposer::preedit() const {
  return ucs_to_utf8(hangul_ic_get_preedit_string(impl_->ic));
}

std::string HangulComposer::finish() {
  committed_ += ucs_to_utf8(hangul_ic_flush(impl_->ic));
  return committed_;
}

}  // namespace shelter::ime
