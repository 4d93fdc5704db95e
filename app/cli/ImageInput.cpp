#include "ImageInput.h"

#include "util/Error.h"

#ifdef VOPSEARCH_HAVE_MEDIA
#include "media/FrameSampler.h"
#include "media/ImageCodec.h"
#include "media/VideoDecoder.h"
#endif

namespace vop::cli {

namespace {
[[noreturn]] void noMedia(const std::string& path)
{
    throw InputError("cannot read '" + path + "': this vopsearch-cli was built without media support "
                     "(VOPSEARCH_WITH_MEDIA=OFF)");
}
} // namespace

RgbImage loadImageFile(const std::string& path)
{
#ifdef VOPSEARCH_HAVE_MEDIA
    return media::decodeImageFile(path);
#else
    noMedia(path);
#endif
}

std::vector<RgbImage> loadVideoClip(const std::string& path, int frames)
{
#ifdef VOPSEARCH_HAVE_MEDIA
    media::VideoDecoder decoder(path);
    std::vector<RgbImage> out;
    for (auto& f : media::sampleFrames(decoder, 0.0, decoder.info().duration, frames))
        out.push_back(std::move(f.image));
    return out;
#else
    (void)frames;
    noMedia(path);
#endif
}

} // namespace vop::cli
