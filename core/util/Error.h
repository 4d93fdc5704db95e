#pragma once
// Errors inside core are exceptions whose message a person can act on; they are caught at
// every thread and UI boundary. Subclasses let callers tell a bad input from a cancellation.
#include <stdexcept>
#include <cstdint>
#include <string>
#include <vector>

namespace vop {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown when the user's input (a file, an argument) is not what it must be.
class InputError : public Error {
public:
    using Error::Error;
};

// Thrown when a long job was asked to stop; never shown as a failure.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

// "[2,3,4]" for error messages about shapes.
std::string shapeString(const std::vector<int64_t>& shape);

} // namespace vop
