# LibTorch: Debian's libtorch-dev (1.13, CPU) or any LibTorch 2.x, e.g. PyTorch's bundled one:
#   cmake -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')"
find_package(Torch REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)

# nlohmann/json and spdlog are header-style dependencies. When they are missing (a bare GPU
# box) the model part still builds: JSON falls back to a copy named by VOPSEARCH_JSON_INCLUDE,
# and logging falls back to stderr.
find_package(nlohmann_json 3.9 QUIET)
if(NOT nlohmann_json_FOUND)
  set(VOPSEARCH_JSON_INCLUDE "" CACHE PATH "Folder that contains nlohmann/json.hpp")
  if(NOT EXISTS "${VOPSEARCH_JSON_INCLUDE}/nlohmann/json.hpp")
    message(FATAL_ERROR "nlohmann/json not found: install nlohmann-json3-dev, or pass "
                        "-DVOPSEARCH_JSON_INCLUDE=<folder containing nlohmann/json.hpp>")
  endif()
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  target_include_directories(nlohmann_json::nlohmann_json INTERFACE "${VOPSEARCH_JSON_INCLUDE}")
endif()
find_package(spdlog QUIET)

if(VOPSEARCH_WITH_MEDIA)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
endif()

if(VOPSEARCH_WITH_STORE)
  find_package(SQLite3 REQUIRED)
  find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
  add_library(hnswlib INTERFACE IMPORTED)
  target_include_directories(hnswlib INTERFACE "${HNSWLIB_INCLUDE_DIR}")
endif()

if(VOPSEARCH_WITH_GUI)
  find_package(Qt6 6.2 REQUIRED COMPONENTS Core Gui Widgets Multimedia MultimediaWidgets Concurrent Test)
  find_package(Qt6 6.2 QUIET COMPONENTS Charts)
endif()
