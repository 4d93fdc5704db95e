# vop_download: the model download of core/service (ModelDownload.{h,cpp}), used by
# `vopsearch-cli models` and the first-run dialog. Included from core/CMakeLists.txt after the
# other areas; meant to be folded into core/service's own CMakeLists (vop_service) later.
# Needs libcurl (libcurl4-openssl-dev); without it the download and `models fetch` are absent.
find_package(CURL QUIET)
if(CURL_FOUND)
  add_library(vop_download STATIC ${CMAKE_CURRENT_LIST_DIR}/ModelDownload.cpp)
  if(TARGET vop_service)
    target_link_libraries(vop_download PUBLIC vop_service)
  else()
    # The job model (Job.cpp) until vop_service exists.
    target_sources(vop_download PRIVATE ${CMAKE_CURRENT_LIST_DIR}/Job.cpp)
  endif()
  target_include_directories(vop_download PUBLIC ${PROJECT_SOURCE_DIR}/core)
  target_compile_definitions(vop_download PRIVATE
    VOPSEARCH_SOURCE_MODELS_DIR="${PROJECT_SOURCE_DIR}/models")
  target_link_libraries(vop_download PUBLIC vop_flags vop_util PRIVATE CURL::libcurl)
else()
  message(STATUS "libcurl not found: model download (vopsearch-cli models fetch, first-run download) disabled")
endif()
