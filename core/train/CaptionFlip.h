#pragma once
// Captions that stay true under the trainer's augmentations. A horizontal flip mirrors the scene,
// so a clip captioned "a car moving left" shows a car moving right once flipped: the trainer
// flips the words with the frames instead of teaching the prompts the opposite of the caption.
// No torch here.
#include <string>

namespace vop {

// The caption of the horizontally mirrored scene: left <-> right, leftward(s) <-> rightward(s),
// leftmost <-> rightmost, left-hand <-> right-hand (a word followed by "-hand"), clockwise <->
// counterclockwise (also "counter-clockwise", "anticlockwise", "anti-clockwise"). Whole words
// only ("bright", "leftover", "copyright" are left alone); the case of each word is kept
// ("Left" -> "Right", "LEFT" -> "RIGHT"). Everything else is copied unchanged.
std::string mirrorCaption(const std::string& caption);

// Whether mirrorCaption changes the caption (it names a horizontal direction or a rotation).
bool namesHorizontalDirection(const std::string& caption);

} // namespace vop
