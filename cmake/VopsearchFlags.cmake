# Flags shared by every vopsearch target, on one INTERFACE target instead of global options.
add_library(vop_flags INTERFACE)
target_compile_options(vop_flags INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare>)
# Qt's slots/signals/emit macros break LibTorch headers; everything uses Q_SIGNALS/Q_SLOTS/Q_EMIT.
target_compile_definitions(vop_flags INTERFACE QT_NO_KEYWORDS)
target_compile_features(vop_flags INTERFACE cxx_std_17)
# libFuzzer builds (tools/fuzz.sh): every vopsearch target gets the fuzzer's coverage hooks and the
# address and undefined-behaviour sanitizers; the fuzz targets link libFuzzer (tests/fuzz).
if(VOPSEARCH_FUZZ)
  target_compile_options(vop_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  target_link_options(vop_flags INTERFACE -fsanitize=address,undefined)
endif()
