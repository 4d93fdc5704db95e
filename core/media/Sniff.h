#pragma once
// Helpers for the library scanner: which files are worth opening as videos.
#include <string>
#include <vector>

namespace vop::media {

// Lower-case extensions, without the dot, of the containers people keep videos in.
const std::vector<std::string>& videoExtensions();

// True when the name ends in one of videoExtensions() (case-insensitive). Looks at the name only.
bool isLikelyVideoFile(const std::string& path);

// FFmpeg's name for the container format the first bytes of the file look like ("matroska,webm",
// "mov,mp4,m4a,3gp,3g2,mj2", "mpegts", "mp3", "png_pipe", ...), judged by content alone;
// "" when nothing recognises it with confidence or the file cannot be read.
std::string sniffFormat(const std::string& path);

// True when sniffFormat() names a container that can hold video, i.e. not a still image, an
// audio-only format or nothing. Use for files whose extension says nothing; probe() decides.
bool sniffVideo(const std::string& path);

} // namespace vop::media
