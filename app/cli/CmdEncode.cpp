// vopsearch-cli encode: embeddings of images and texts as one JSON object, the layout of the
// parity fixtures (golden.json): unnormalised embeddings, token ids SOT..EOT without padding.
#include "Commands.h"
#include "ImageInput.h"

#include "model/ClipEncoder.h"
#include "model/ClipTokenizer.h"

#include <nlohmann/json.hpp>

namespace vop::cli {
namespace {

const char* kUsage =
    "usage: vopsearch-cli encode [--checkpoint FILE] [--image FILE]... [--text STR]... [--device D]\n"
    "                            [--vocab FILE]\n"
    "Prints {\"image_embeddings\": [[...]], \"text_embeddings\": [[...]], \"token_ids\": [[...]]}:\n"
    "unnormalised embeddings, token ids from SOT to EOT without padding.\n"
    "  --checkpoint FILE  CLIP checkpoint (.pt TorchScript or .safetensors); default: the model folders\n"
    "  --image FILE       an image (PNG, JPEG, ...); repeatable\n"
    "  --text STR         a text; repeatable\n"
    "  --device D         auto | cpu | cuda | cuda:N (default auto)\n"
    "  --vocab FILE       bpe_simple_vocab_16e6.txt.gz (default: next to the checkpoint or in the model folders)";

int runEncode(const std::vector<std::string>& argv)
{
    Args args(argv, {"checkpoint", "image", "text", "device", "vocab"}, {});
    if (!args.positionals().empty())
        throw UsageError("unexpected argument '" + args.positionals().front() + "'");
    const auto images = args.getAll("image");
    const auto texts = args.getAll("text");
    if (images.empty() && texts.empty())
        throw UsageError("give at least one --image or --text");

    std::vector<RgbImage> decoded;
    for (const auto& path : images) decoded.push_back(loadImageFile(path));

    ClipEncoder::Options opts;
    opts.checkpoint = args.get("checkpoint");
    opts.vocab = args.get("vocab");
    opts.device = args.get("device", "auto");
    ClipEncoder encoder(opts);

    nlohmann::json out = nlohmann::json::object();
    out["image_embeddings"] = decoded.empty() ? nlohmann::json::array() : nlohmann::json(encoder.encodeImages(decoded));
    nlohmann::json tokenIds = nlohmann::json::array();
    for (const auto& t : texts) {
        auto ids = encoder.tokenizer().tokenize(t, int(encoder.config().contextLength), /*truncate=*/true);
        while (!ids.empty() && ids.back() == 0) ids.pop_back();
        tokenIds.push_back(ids);
    }
    out["text_embeddings"] = texts.empty() ? nlohmann::json::array() : nlohmann::json(encoder.encodeTexts(texts));
    out["token_ids"] = tokenIds;
    printJson(out.dump());
    return 0;
}

Command reg{"encode", "print CLIP embeddings of images and texts as JSON", kUsage, &runEncode};

} // namespace
} // namespace vop::cli
