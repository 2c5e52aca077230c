#pragma once
// The docker CLI's `--format` conventions around Template (docker/cli cli/command/formatter):
// the `table` and `json` directives, and table output aligned by Go's text/tabwriter with the
// settings docker uses.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "template/template.h"

namespace berth::tmpl {

// formatter.Context.postFormat: tabwriter.NewWriter(output, 10, 1, 3, ' ', 0), i.e. minwidth 10,
// tabwidth 1, padding 3, padchar ' ', no flags.
inline constexpr int kTableMinWidth = 10;
inline constexpr int kTableTabWidth = 1;
inline constexpr int kTablePadding = 3;
inline constexpr char kTablePadChar = ' ';

struct FormatSpec {
  bool is_table = false;  // the format starts with "table" (docker: strings.HasPrefix)
  bool is_json = false;   // the format is exactly "json"; body is then "{{json .}}"
  // The template text after docker's preFormat: "table" removed, spaces trimmed at both ends,
  // the two-character sequences `\t` and `\n` replaced by a tab and a newline. Empty for a bare
  // "table": the caller substitutes its command's default table format.
  std::string body;
};

FormatSpec parseFormat(std::string_view format);

// Go's text/tabwriter.Writer (docker's copy) with flags 0: cells are terminated by '\t' (or
// '\v'); lines by '\n' (or '\f', which also ends all columns). Tab-terminated cells in
// consecutive lines form a column, padded to max(min_width, widest cell + padding); the last,
// unterminated cell of a line is not part of a column and is never padded. Widths count display
// columns (East Asian wide runes count 2). Text between 0xFF escape bytes is not interpreted.
// Not thread-safe.
class TabWriter {
 public:
  explicit TabWriter(int min_width = kTableMinWidth, int tab_width = kTableTabWidth,
                     int padding = kTablePadding, char pad_char = kTablePadChar);

  void write(std::string_view text);
  // Formats all buffered text and returns the output produced since the last flush().
  std::string flush();

 private:
  struct Cell {
    size_t size = 0;   // bytes
    size_t width = 0;  // display width
    bool htab = false;
  };

  void reset();
  void append(std::string_view text);
  void updateWidth();
  void endEscape();
  size_t terminateCell(bool htab);
  void flushInternal();
  void format();
  size_t writeLines(size_t pos, size_t line0, size_t line1);
  void writePadding(size_t text_width, size_t cell_width);

  int min_width_;
  int tab_width_;
  int padding_;
  char pad_char_;
  std::string buf_;
  size_t pos_ = 0;
  Cell cell_;
  char end_char_ = 0;
  std::vector<std::vector<Cell>> lines_;
  std::vector<size_t> widths_;
  std::string out_;
};

// Renders like docker's formatter.Context.Write: every row executes the body and is followed by
// "\n"; for a table, a header row (the body executed over `header` with header functions, e.g.
// {"ID":"CONTAINER ID","Image":"IMAGE"}) comes first and all of it goes through a TabWriter.
// Parse and execution errors read "template parsing error: template: ..." as docker's do.
// The methods of the rows and of the header row (either may be null: none), e.g. ps's
// `.Label "key"`, whose header is the key's last dot-separated part.
struct RowMethods {
  const MethodResolver* rows = nullptr;
  const MethodResolver* header = nullptr;
};
Result<std::string> renderRows(std::string_view format, const nlohmann::json& header,
                               const std::vector<nlohmann::json>& rows,
                               const RowMethods& methods = {});

// Display width of UTF-8 text as go-runewidth computes it (wide East Asian runes count 2,
// combining marks and control characters 0).
size_t displayWidth(std::string_view text);

}  // namespace berth::tmpl
