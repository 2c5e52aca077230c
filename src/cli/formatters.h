#pragma once
// The docker CLI's formatter contexts (cli/command/formatter): each API object becomes a JSON
// object of display strings, the fields `--format` templates see (.ID, .Image, .Status, ...),
// plus the default table formats and header rows.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "template/format.h"
#include "template/template.h"

namespace berth::cli {

inline constexpr const char* kPsTableFormat =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
    "{{.Names}}";
inline constexpr const char* kImagesTableFormat =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
inline constexpr const char* kImagesDigestTableFormat =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
inline constexpr const char* kHistoryTableFormat =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

nlohmann::json psHeader();
nlohmann::json imagesHeader();
// docker titles the CREATED column "CREATED AT" when -H=false.
nlohmann::json historyHeader(bool human);

// One container (a /containers/json entry) as docker's ContainerContext shows it. `now_ns` is
// the current time (for RunningFor); `trunc` unless --no-trunc.
nlohmann::json containerRow(const nlohmann::json& c, bool trunc, int64_t now_ns);
// The rows of one image (/images/json entry): one per repository:tag (and digest with
// `digests`), or a single <none> row for a dangling image.
std::vector<nlohmann::json> imageRows(const nlohmann::json& img, bool trunc, bool digests,
                                      int64_t now_ns);
// One history entry; `human` for -H (the default).
nlohmann::json historyRow(const nlohmann::json& h, bool trunc, bool human, int64_t now_ns);

// api.DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp".
std::string displayablePorts(const nlohmann::json& ports);

// Splits "name" into repository and tag for display: FamiliarName of a normalized reference
// ("docker.io/library/busybox" → "busybox").
std::string familiarName(const std::string& name);

// Renders rows with a --format value (or the given default table format when `format` is
// empty or "table"), with the rows' methods (e.g. LabelMethods).
Result<std::string> renderFormatted(const std::string& format, const char* default_table,
                                    const nlohmann::json& header,
                                    const std::vector<nlohmann::json>& rows,
                                    const tmpl::RowMethods& methods = {});

// docker's `.Label "key"` method of ps, network ls and volume ls rows: the value of the label
// `key` ("" when unset) of the object whose row has ID `row[id_key]`; in the header, the key's
// last dot-separated part with '-' and '_' as spaces ("com.x.max-size" → "max size").
// `labels_by_id` maps row IDs to the objects' Labels maps.
class LabelMethods {
 public:
  explicit LabelMethods(std::map<std::string, nlohmann::json> labels_by_id,
                        std::string id_key = "ID");
  tmpl::RowMethods methods() const { return {rows_.get(), header_.get()}; }

 private:
  // Pointers: a MethodResolver member would need nlohmann::json complete here.
  std::shared_ptr<const tmpl::MethodResolver> rows_, header_;
};

}  // namespace berth::cli
