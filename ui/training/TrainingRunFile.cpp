#include "training/TrainingRunFile.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <map>

namespace vop::ui {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
std::string str(const QJsonObject& o, const char* key, const std::string& fallback = {})
{
    return o.contains(QLatin1String(key)) ? o.value(QLatin1String(key)).toString().toStdString() : fallback;
}
int num(const QJsonObject& o, const char* key, int fallback)
{
    return o.value(QLatin1String(key)).toInt(fallback);
}
double real(const QJsonObject& o, const char* key, double fallback)
{
    return o.value(QLatin1String(key)).toDouble(fallback);
}
bool flag(const QJsonObject& o, const char* key, bool fallback)
{
    return o.value(QLatin1String(key)).toBool(fallback);
}
} // namespace

bool saveRunFile(const QString& runFile, const SavedRun& run)
{
    const auto& d = run.data;
    const auto& o = run.options;
    QJsonObject data{{QStringLiteral("path"), qs(d.path)},
                     {QStringLiteral("format"), qs(d.format)},
                     {QStringLiteral("template"), qs(d.options.captionTemplate)},
                     {QStringLiteral("videos"), qs(d.options.videoDir)},
                     {QStringLiteral("validation"), d.validationFraction}};
    // The prompt options as a prompt-set file records them (PromptOptions::toMetadata).
    QJsonObject prompts;
    for (const auto& [key, value] : o.prompts.toMetadata())
        prompts.insert(qs(key), qs(value));
    QJsonObject opts{{QStringLiteral("prompts"), prompts},
                     {QStringLiteral("epochs"), o.epochs},
                     {QStringLiteral("batch"), o.batch},
                     {QStringLiteral("lr"), o.lr},
                     {QStringLiteral("generator_lr"), o.generatorLr},
                     {QStringLiteral("augment"), o.augment},
                     {QStringLiteral("flip"), o.flip},
                     {QStringLiteral("random_frame"), o.randomFrame},
                     {QStringLiteral("seed"), QString::number(o.seed)}};
    // What was left to the service: a resumed run must choose the same way (its lr comes from the state).
    const QJsonObject choose{{QStringLiteral("steps"), run.choose.steps},
                             {QStringLiteral("batch"), run.choose.batch},
                             {QStringLiteral("warmup"), run.choose.warmup},
                             {QStringLiteral("eval_every"), run.choose.evalEvery},
                             {QStringLiteral("lr"), run.choose.lr},
                             {QStringLiteral("max_seconds"), run.choose.maxSeconds}};
    QJsonObject root{{QStringLiteral("name"), run.name},
                     {QStringLiteral("data"), data},
                     {QStringLiteral("options"), opts},
                     {QStringLiteral("choose"), choose}};
    QSaveFile f(runFile);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(QJsonDocument(root).toJson());
    return f.commit();
}

std::optional<SavedRun> loadRunFile(const QString& runFile)
{
    QFile f(runFile);
    if (!f.open(QIODevice::ReadOnly)) return std::nullopt;
    const auto doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject()) return std::nullopt;
    const auto root = doc.object();
    const auto data = root.value(QStringLiteral("data")).toObject();
    const auto opts = root.value(QStringLiteral("options")).toObject();
    SavedRun r;
    r.name = root.value(QStringLiteral("name")).toString();
    r.data.path = str(data, "path");
    r.data.format = str(data, "format", "folders");
    r.data.options.captionTemplate = str(data, "template", "{}");
    r.data.options.videoDir = str(data, "videos");
    r.data.validationFraction = real(data, "validation", 0.1);
    try {
        std::map<std::string, std::string> prompts;
        const auto saved = opts.value(QStringLiteral("prompts")).toObject();
        for (auto it = saved.begin(); it != saved.end(); ++it)
            prompts[it.key().toStdString()] = it.value().toString().toStdString();
        r.options.prompts = PromptOptions::fromMetadata(prompts);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    auto& o = r.options;
    o.epochs = num(opts, "epochs", o.epochs);
    o.batch = num(opts, "batch", o.batch);
    o.lr = real(opts, "lr", o.lr);
    o.generatorLr = real(opts, "generator_lr", o.generatorLr);
    o.augment = flag(opts, "augment", o.augment);
    o.flip = flag(opts, "flip", o.flip);
    o.randomFrame = flag(opts, "random_frame", o.randomFrame);
    o.seed = opts.value(QStringLiteral("seed")).toString().toULongLong();
    const auto choose = root.value(QStringLiteral("choose")).toObject();
    auto& c = r.choose;
    c.steps = flag(choose, "steps", false);
    c.batch = flag(choose, "batch", false);
    c.warmup = flag(choose, "warmup", false);
    c.evalEvery = flag(choose, "eval_every", false);
    c.lr = flag(choose, "lr", false);
    c.maxSeconds = real(choose, "max_seconds", c.maxSeconds);
    if (!(c.maxSeconds > 0)) c.maxSeconds = PlanChoices{}.maxSeconds;
    if (r.name.isEmpty() || r.data.path.empty()) return std::nullopt;
    return r;
}

} // namespace vop::ui
