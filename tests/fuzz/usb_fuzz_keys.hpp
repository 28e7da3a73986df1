#pragma once
// The fixed keys of fuzz_usb_import and of the tool that wrote its seed
// corpus (make_usb_corpus.cpp): made from constant seeds, so a sealed file
// in the corpus opens with them and the fuzzer gets past the seal.
#include <cstdlib>
#include <string>

#include "core/sealing.hpp"
#include "core/signing.hpp"

namespace shelter::fuzz {

// The kiosk "tama-01-a" that signs the files.
inline const signing::KeyPair& usb_device_key() {
  static const signing::KeyPair key = [] {
    auto k = signing::from_seed(std::string(signing::kSeedBytes, 'd'));
    if (!k) std::abort();
    return std::move(k).value();
  }();
  return key;
}

// Headquarters' box key the files are sealed to (derived from a signing
// seed: sealing.hpp has no seeded generate()).
inline const sealing::BoxKeyPair& usb_hq_key() {
  static const sealing::BoxKeyPair key = [] {
    auto seed = signing::from_seed(std::string(signing::kSeedBytes, 'h'));
    if (!seed) std::abort();
    auto k = sealing::from_signing_key(*seed);
    if (!k) std::abort();
    return std::move(k).value();
  }();
  return key;
}

}  // namespace shelter::fuzz
