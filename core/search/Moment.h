#pragma once
// A ranked moment of the library: what a search returns and what a playlist holds. Plain data,
// no torch, no SQLite: the GUI's models and the playlist writer include only this.
#include "store/CatalogTypes.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vop::search {

struct Moment {
    int64_t fileId = 0;
    std::string path;
    double start = 0;
    double end = 0;
    float score = 0;                   // the best segment's score
    int64_t segmentId = 0;             // the best segment (its thumbnail)
    std::vector<int64_t> segmentIds;   // every segment merged into this moment, by time
    store::FileStatus status = store::FileStatus::Indexed;
    double fileDuration = 0;
    std::string thumbnailJpeg;         // when asked for
};

} // namespace vop::search
