#include "Args.h"

namespace vop::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
           const std::set<std::string>& flags)
{
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.rfind("--", 0) != 0 || a == "--") {
            m_positionals.push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        bool inlineValue = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inlineValue = true;
        }
        if (flags.count(name)) {
            if (inlineValue)
                throw UsageError("option --" + name + " takes no value");
            m_flags.insert(name);
        } else if (valued.count(name)) {
            if (!inlineValue) {
                if (i + 1 >= argv.size())
                    throw UsageError("option --" + name + " needs a value");
                value = argv[++i];
            }
            m_values[name].push_back(value);
        } else {
            throw UsageError("unknown option --" + name);
        }
    }
}

bool Args::has(const std::string& name) const
{
    return m_flags.count(name) || m_values.count(name);
}

std::string Args::get(const std::string& name, const std::string& fallback) const
{
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::getAll(const std::string& name) const
{
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

int Args::getInt(const std::string& name, int fallback) const
{
    if (!m_values.count(name))
        return fallback;
    const std::string v = get(name);
    try {
        size_t used = 0;
        int x = std::stoi(v, &used);
        if (used != v.size())
            throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + name + " expects an integer, got '" + v + "'");
    }
}

double Args::getDouble(const std::string& name, double fallback) const
{
    if (!m_values.count(name))
        return fallback;
    const std::string v = get(name);
    try {
        size_t used = 0;
        double x = std::stod(v, &used);
        if (used != v.size())
            throw std::invalid_argument(v);
        return x;
    } catch (const std::exception&) {
        throw UsageError("--" + name + " expects a number, got '" + v + "'");
    }
}

} // namespace vop::cli
