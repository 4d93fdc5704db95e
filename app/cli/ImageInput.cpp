#include "ImageInput.h"

#include "util/Error.h"

#ifdef VOPSEARCH_HAVE_MEDIA
#include "media/ImageCodec.h"
#endif

namespace vop::cli {

RgbImage loadImageFile(const std::string& path)
{
#ifdef VOPSEARCH_HAVE_MEDIA
    return media::decodeImageFile(path);
#else
    throw InputError("cannot read '" + path + "': this vopsearch-cli was built without media support "
                     "(VOPSEARCH_WITH_MEDIA=OFF)");
#endif
}

} // namespace vop::cli
