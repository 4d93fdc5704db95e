#include "PromptArgs.h"

namespace vop::cli {

const std::set<std::string>& promptOptionNames()
{
    static const std::set<std::string> names = {"variant", "text-length", "visual-length", "video-length", "frames",
                                                "depth", "split-depth", "context", "init-std"};
    return names;
}

PromptOptions promptOptionsFrom(const Args& a)
{
    PromptOptions o;
    if (a.has("variant")) o.variant = parseVariant(a.get("variant"));
    o.textLength = a.getInt("text-length", o.textLength);
    o.visualLength = a.getInt("visual-length", o.visualLength);
    o.videoLength = a.getInt("video-length", o.videoLength);
    o.frames = a.getInt("frames", o.frames);
    o.depth = a.getInt("depth", o.depth);
    o.splitDepth = a.getInt("split-depth", o.splitDepth);
    if (a.has("context")) o.context = parseContextModule(a.get("context"));
    o.initStd = a.getDouble("init-std", o.initStd);
    return o;
}

} // namespace vop::cli
