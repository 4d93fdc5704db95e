# Flags shared by every vopsearch target, on one INTERFACE target instead of global options.
add_library(vop_flags INTERFACE)
target_compile_options(vop_flags INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare>)
# Qt's slots/signals/emit macros break LibTorch headers; everything uses Q_SIGNALS/Q_SLOTS/Q_EMIT.
target_compile_definitions(vop_flags INTERFACE QT_NO_KEYWORDS)
target_compile_features(vop_flags INTERFACE cxx_std_17)
