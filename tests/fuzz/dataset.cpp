// Fuzz target: the dataset readers (train/Dataset.cpp, train/MsrvttDataset.cpp). The first byte
// picks the reader, the rest is the file it reads: 0 MSR-VTT JSON annotations, 1 MSR-VTT CSV
// annotations, 2 a split list (over fixed annotations), 3 a sidecar caption file, 4 a caption
// template for labelled folders. The videos are empty files: the readers never decode.
#include "FuzzSupport.h"
#include "train/Dataset.h"

#include <filesystem>

namespace {

namespace fs = std::filesystem;

std::string folder(const std::string& name)
{
    const auto dir = vop::fuzz::tempDir() + "/" + name;
    fs::create_directories(dir);
    return dir;
}

void touchFile(const std::string& path)
{
    if (!fs::exists(path))
        vop::fuzz::writeTemp(fs::relative(path, vop::fuzz::tempDir()).string(), std::string());
}

vop::Dataset readOne(int kind, const std::string& bytes)
{
    const auto ann = folder("ann"), videos = folder("ann/videos");
    for (const char* id : {"video0", "video1", "7", "a"}) touchFile(videos + "/" + id + ".mp4");
    vop::DatasetOptions options;
    options.videoDir = videos;
    switch (kind) {
    case 0: return vop::readMsrvtt(vop::fuzz::writeTemp("ann/MSRVTT_data.json", bytes), options);
    case 1: return vop::readMsrvtt(vop::fuzz::writeTemp("ann/annotations.csv", bytes), options);
    case 2: {
        options.splitList = vop::fuzz::writeTemp("ann/split.csv", bytes);
        const auto fixed = vop::fuzz::writeTemp("ann/fixed.csv", "video_id,caption,split\nvideo0,a red square,train\n"
                                                                 "video1,a blue circle,test\n7,a cat,validate\n");
        return vop::readMsrvtt(fixed, options);
    }
    case 3: {
        const auto side = folder("side");
        touchFile(side + "/clip.mp4");
        vop::fuzz::writeTemp("side/clip.txt", bytes);
        return vop::readSidecarCaptions(side);
    }
    default: {
        const auto root = folder("folders");
        folder("folders/red_square");
        touchFile(root + "/red_square/a.mp4");
        touchFile(root + "/red_square/b.mp4");
        options.captionTemplate = bytes;
        return vop::readLabelledFolders(root, options);
    }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        const auto d = readOne(data[0] % 5, bytes);
        for (const auto& v : d.videos)
            if (v.captions.empty() || v.path.empty())
                __builtin_trap(); // a sample without a caption or a file was accepted
        (void)vop::datasetFingerprint(d);
        if (d.videos.size() >= 4)
            (void)vop::splitValidation(d, 0.25, 1);
    } catch (const vop::Error&) {
    }
    return 0;
}
