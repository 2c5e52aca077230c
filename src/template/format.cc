#include "template/format.h"

#include <nlohmann/json.hpp>

#include "template/go_fmt.h"

namespace berth::tmpl {
namespace {

constexpr char kEscape = '\xff';

bool isWide(uint32_t r) {
  return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0x303E) ||
         (r >= 0x3041 && r <= 0x33FF) || (r >= 0x3400 && r <= 0x4DBF) ||
         (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xA000 && r <= 0xA4CF) ||
         (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
         (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
         (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
         (r >= 0x1F900 && r <= 0x1F9FF) || (r >= 0x20000 && r <= 0x3FFFD);
}

bool isZeroWidth(uint32_t r) {
  return r < 0x20 || (r >= 0x7F && r < 0xA0) || (r >= 0x300 && r <= 0x36F) ||
         (r >= 0x200B && r <= 0x200F) || (r >= 0xFE00 && r <= 0xFE0F);
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) {
    s.replace(p, from.size(), to);
  }
}

}  // namespace

size_t displayWidth(std::string_view text) {
  size_t w = 0;
  for (size_t i = 0; i < text.size();) {
    auto [r, n] = decodeUtf8(text, i);
    i += n;
    if (isZeroWidth(r)) continue;
    w += isWide(r) ? 2 : 1;
  }
  return w;
}

FormatSpec parseFormat(std::string_view format) {
  FormatSpec spec;
  std::string body(format);
  if (format.starts_with("table")) {
    spec.is_table = true;
    body.erase(0, 5);
  } else if (format == "json") {
    spec.is_json = true;
    body = "{{json .}}";
  }
  size_t b = body.find_first_not_of(' ');
  size_t e = body.find_last_not_of(' ');
  body = b == std::string::npos ? std::string() : body.substr(b, e - b + 1);
  replaceAll(body, "\\t", "\t");
  replaceAll(body, "\\n", "\n");
  spec.body = std::move(body);
  return spec;
}

TabWriter::TabWriter(int min_width, int tab_width, int padding, char pad_char)
    : min_width_(std::max(0, min_width)),
      tab_width_(std::max(0, tab_width)),
      padding_(std::max(0, padding)),
      pad_char_(pad_char) {
  reset();
}

void TabWriter::reset() {
  buf_.clear();
  pos_ = 0;
  cell_ = Cell{};
  end_char_ = 0;
  lines_.clear();
  widths_.clear();
  lines_.emplace_back();
}

void TabWriter::append(std::string_view text) {
  buf_.append(text);
  cell_.size += text.size();
}

void TabWriter::updateWidth() {
  cell_.width += displayWidth(std::string_view(buf_).substr(pos_));
  pos_ = buf_.size();
}

void TabWriter::endEscape() {
  updateWidth();
  // The escape bytes are passed through but not counted; displayWidth already gives them 1 each
  // as invalid UTF-8.
  cell_.width = cell_.width >= 2 ? cell_.width - 2 : 0;
  pos_ = buf_.size();
  end_char_ = 0;
}

size_t TabWriter::terminateCell(bool htab) {
  cell_.htab = htab;
  lines_.back().push_back(cell_);
  cell_ = Cell{};
  return lines_.back().size();
}

void TabWriter::write(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (end_char_ == 0) {
      if (ch == '\t' || ch == '\v' || ch == '\n' || ch == '\f') {
        append(text.substr(n, i - n));
        updateWidth();
        n = i + 1;
        size_t ncells = terminateCell(ch == '\t');
        if (ch == '\n' || ch == '\f') {
          lines_.emplace_back();
          // A one-cell line cannot affect later columns: format what we have.
          if (ch == '\f' || ncells == 1) flushInternal();
        }
      } else if (ch == kEscape) {
        append(text.substr(n, i - n));
        updateWidth();
        n = i;
        end_char_ = kEscape;
      }
    } else if (ch == end_char_) {
      append(text.substr(n, i + 1 - n));
      n = i + 1;
      endEscape();
    }
  }
  append(text.substr(n));
}

std::string TabWriter::flush() {
  flushInternal();
  return std::move(out_);
}

void TabWriter::flushInternal() {
  if (cell_.size > 0) {
    if (end_char_ != 0) endEscape();
    terminateCell(false);
  }
  format();
  reset();
}

void TabWriter::writePadding(size_t text_width, size_t cell_width) {
  if (pad_char_ == '\t') {
    if (tab_width_ == 0) return;
    size_t tw = static_cast<size_t>(tab_width_);
    cell_width = (cell_width + tw - 1) / tw * tw;
    size_t n = cell_width > text_width ? cell_width - text_width : 0;
    out_.append((n + tw - 1) / tw, '\t');
    return;
  }
  if (cell_width > text_width) out_.append(cell_width - text_width, pad_char_);
}

size_t TabWriter::writeLines(size_t pos, size_t line0, size_t line1) {
  for (size_t i = line0; i < line1; ++i) {
    const auto& line = lines_[i];
    for (size_t j = 0; j < line.size(); ++j) {
      const Cell& c = line[j];
      if (c.size > 0) {
        out_.append(buf_, pos, c.size);
        pos += c.size;
      }
      if (j < widths_.size()) writePadding(c.width, widths_[j]);
    }
    if (i + 1 == lines_.size()) {
      out_.append(buf_, pos, cell_.size);
      pos += cell_.size;
    } else {
      out_ += '\n';
    }
  }
  return pos;
}

// Go's recursive Writer.format, made iterative so that a line with very many cells cannot
// exhaust the stack: one frame per open column block.
void TabWriter::format() {
  struct Frame {
    size_t line0;
    size_t line1;
    size_t cur;
  };
  size_t pos = 0;
  std::vector<Frame> stack = {{0, lines_.size(), 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    size_t column = widths_.size();
    bool pushed = false;
    for (; f.cur < f.line1; ++f.cur) {
      if (column + 1 >= lines_[f.cur].size()) continue;
      // A cell exists in this column: print the lines before the block, then size the block.
      pos = writeLines(pos, f.line0, f.cur);
      f.line0 = f.cur;
      size_t width = static_cast<size_t>(min_width_);
      size_t end = f.cur;
      for (; end < f.line1; ++end) {
        const auto& line = lines_[end];
        if (column + 1 >= line.size()) break;
        width = std::max(width, line[column].width + static_cast<size_t>(padding_));
      }
      widths_.push_back(width);
      size_t begin = f.cur;
      f.cur = end;  // resume after the block (its first line cannot start a block here)
      stack.push_back({begin, end, begin});
      pushed = true;
      break;
    }
    if (pushed) continue;
    pos = writeLines(pos, f.line0, f.line1);
    stack.pop_back();
    if (!stack.empty()) {
      widths_.pop_back();
      stack.back().line0 = stack.back().cur;
    }
  }
}

Result<std::string> renderRows(std::string_view format, const nlohmann::json& header,
                               const std::vector<nlohmann::json>& rows,
                               const RowMethods& methods) {
  FormatSpec spec = parseFormat(format);
  auto tmpl = Template::parse(spec.body);
  if (!tmpl) return tmpl.error().wrap("template parsing error");
  std::string body;
  for (const auto& row : rows) {
    auto out = tmpl->execute(row, ExecuteOptions{.methods = methods.rows});
    if (!out) return out.error().wrap("template parsing error");
    body += *out;
    body += '\n';
  }
  if (!spec.is_table) return body;
  TabWriter writer;
  // docker ignores header execution errors (the header context is the caller's own) and keeps
  // what was written before the error.
  std::string partial;
  auto head = tmpl->execute(header, ExecuteOptions{.header_functions = true,
                                                   .methods = methods.header,
                                                   .partial_output = &partial});
  writer.write(head ? *head : partial);
  writer.write("\n");
  writer.write(body);
  return writer.flush();
}

}  // namespace berth::tmpl
