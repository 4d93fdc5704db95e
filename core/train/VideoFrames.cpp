#include "train/VideoFrames.h"

#include "media/FrameSampler.h"
#include "media/VideoDecoder.h"

namespace vop {

FrameCache::Decoder videoFileDecoder()
{
    return [](const std::string& path, int count) {
        media::VideoDecoder decoder(path);
        std::vector<RgbImage> out;
        for (auto& f : media::sampleFrames(decoder, 0.0, decoder.info().duration, count))
            out.push_back(std::move(f.image));
        return out;
    };
}

} // namespace vop
