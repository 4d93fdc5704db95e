// vopsearch-cli encode: embeddings of images, texts and clips as one JSON object, the layout of
// the parity fixtures (golden.json): unnormalised image/text embeddings, token ids SOT..EOT
// without padding. With --prompts the texts go through the prompt set's text prompts, and
// --frames / --video give the (L2-normalised) embedding of one clip.
#include "Commands.h"
#include "ImageInput.h"
#include "LibraryCommon.h"

#include "model/ClipEncoder.h"
#include "model/ClipTokenizer.h"
#include "prompts/VopEncoder.h"

#include <nlohmann/json.hpp>

namespace vop::cli {
namespace {

const char* kUsage =
    "usage: vopsearch-cli encode [--checkpoint FILE] [--image FILE]... [--text STR]... [--device D]\n"
    "                            [--prompts FILE] [--frames PNG...] [--video FILE] [--vocab FILE]\n"
    "Prints {\"image_embeddings\": [[...]], \"text_embeddings\": [[...]], \"token_ids\": [[...]]}:\n"
    "unnormalised embeddings, token ids from SOT to EOT without padding.\n"
    "  --checkpoint FILE  CLIP checkpoint (.pt TorchScript or .safetensors); default: the model folders\n"
    "  --image FILE       an image (PNG, JPEG, ...), encoded by plain CLIP; repeatable\n"
    "  --text STR         a text; repeatable\n"
    "  --prompts FILE     a prompt set (vopsearch-cli prompts new / train): texts use its text prompts\n"
    "  --frames PNG...    the frames of one clip (all following arguments up to the next option);\n"
    "                     adds \"clip_embedding\" (L2-normalised)\n"
    "  --video FILE       one clip: F frames sampled uniformly from the video (F from the prompt set, 12 without)\n"
    "  --device D         auto | cpu | cuda | cuda:N (default auto)\n"
    "  --precision P      auto | fp32 | int8: CPU precision of the towers (default auto, as for 'index')\n"
    "  --vocab FILE       bpe_simple_vocab_16e6.txt.gz (default: next to the checkpoint, the model folders, the shipped copy)";

int runEncode(const std::vector<std::string>& argvIn)
{
    // --frames takes every following non-option argument.
    std::vector<std::string> argv, framePaths;
    for (size_t i = 0; i < argvIn.size(); ++i) {
        if (argvIn[i] == "--frames") {
            while (i + 1 < argvIn.size() && argvIn[i + 1].rfind("--", 0) != 0) framePaths.push_back(argvIn[++i]);
            if (framePaths.empty())
                throw UsageError("--frames needs at least one image");
            continue;
        }
        argv.push_back(argvIn[i]);
    }
    Args args(argv, {"checkpoint", "image", "text", "device", "precision", "vocab", "prompts", "video"}, {});
    if (!args.positionals().empty())
        throw UsageError("unexpected argument '" + args.positionals().front() + "'");
    const auto images = args.getAll("image");
    const auto texts = args.getAll("text");
    if (images.empty() && texts.empty() && framePaths.empty() && !args.has("video"))
        throw UsageError("give at least one --image, --text, --frames or --video");
    if (!framePaths.empty() && args.has("video"))
        throw UsageError("give either --frames or --video, not both");

    std::vector<RgbImage> decoded, frames;
    for (const auto& path : images) decoded.push_back(loadImageFile(path));
    for (const auto& path : framePaths) frames.push_back(loadImageFile(path));

    ClipEncoder::Options opts;
    opts.checkpoint = args.get("checkpoint");
    opts.vocab = args.get("vocab");
    opts.device = args.get("device", "auto");
    opts.imagePrecision = opts.textPrecision = precisionOption(args);
    opts.lazyImageTower = true; // --text alone never reads the image tower's weights
    ClipEncoder clip(opts);
    nlohmann::json out = nlohmann::json::object();
    out["image_embeddings"] = decoded.empty() ? nlohmann::json::array() : nlohmann::json(clip.encodeImages(decoded));

    VopEncoder encoder(std::move(clip), args.get("prompts"));
    if (args.has("video"))
        frames = loadVideoClip(args.get("video"), encoder.framesPerClip());
    const int context = int(encoder.config().contextLength - (args.has("prompts") ? encoder.promptOptions().textLength : 0));
    nlohmann::json tokenIds = nlohmann::json::array();
    for (const auto& t : texts) {
        auto ids = encoder.clip().tokenizer().tokenize(t, context, /*truncate=*/true);
        while (!ids.empty() && ids.back() == 0) ids.pop_back();
        tokenIds.push_back(ids);
    }
    out["text_embeddings"] = texts.empty() ? nlohmann::json::array()
                                           : nlohmann::json(encoder.encodeTexts(texts, /*normalize=*/false));
    out["token_ids"] = tokenIds;
    if (!frames.empty()) {
        out["clip_embedding"] = encoder.encodeClips({frames}).front();
        out["frames"] = frames.size();
    }
    if (args.has("prompts"))
        out["variant"] = variantName(encoder.promptOptions().variant);
    printJson(out.dump());
    return 0;
}

Command reg{"encode", "print CLIP / VoP embeddings of images, texts and clips as JSON", kUsage, &runEncode};

} // namespace
} // namespace vop::cli
