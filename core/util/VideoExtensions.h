#pragma once
// The file extensions treated as videos (lower case, no dot): the library scanner (core/media)
// and the dataset readers (core/train, which must not need FFmpeg) share this one list.
#include <string>
#include <vector>

namespace vop {

inline const std::vector<std::string>& videoExtensions()
{
    static const std::vector<std::string> exts = {
        "mp4", "m4v", "mov", "qt", "mkv", "webm", "avi", "wmv", "asf", "flv", "f4v", "mpg", "mpeg",
        "mpe", "m1v", "m2v", "ts", "m2ts", "mts", "m2t", "vob", "ogv", "3gp", "3g2", "mxf", "dv",
        "divx", "xvid", "rm", "rmvb", "y4m", "nut", "h264", "264", "hevc", "h265", "265", "ivf",
    };
    return exts;
}

} // namespace vop
