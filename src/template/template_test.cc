#include "template/template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace berth::tmpl {
namespace {

using nlohmann::json;

// Output of `text` over `data`, or "ERROR: <message>" for a parse or execution error.
std::string run(std::string_view text, const json& data = json::object()) {
  auto t = Template::parse(text);
  if (!t) return "ERROR: " + t.error().message();
  auto out = t->execute(data);
  if (!out) return "ERROR: " + out.error().message();
  return *out;
}

const json kContainer = json::parse(R"({
  "Id": "abc123",
  "Name": "/web",
  "Args": ["-g", "daemon off;"],
  "Config": {"Env": ["A=1", "B=2"], "Labels": {"com.x": "yes", "b": "2"}, "Tty": false,
             "Cmd": null, "User": ""},
  "State": {"Running": true, "Pid": 42, "ExitCode": 0, "Status": "running"},
  "Size": 1.5,
  "Big": 1000000.0,
  "Count": 3,
  "Ports": {}
})");

TEST(Template, PlainText) {
  EXPECT_EQ(run("hello"), "hello");
  EXPECT_EQ(run(""), "");
  EXPECT_EQ(run("a { b } c"), "a { b } c");
}

TEST(Template, Fields) {
  EXPECT_EQ(run("{{.Id}}", kContainer), "abc123");
  EXPECT_EQ(run("{{.State.Pid}}", kContainer), "42");
  EXPECT_EQ(run("{{.State.Running}}", kContainer), "true");
  EXPECT_EQ(run("{{.Config.Labels}}", kContainer), "map[b:2 com.x:yes]");
  EXPECT_EQ(run("{{.Config.Env}}", kContainer), "[A=1 B=2]");
  EXPECT_EQ(run("{{.Size}} {{.Big}} {{.Count}}", kContainer), "1.5 1e+06 3");
  EXPECT_EQ(run("{{.}}", json::array({1, "a", nullptr})), "[1 a <nil>]");
  EXPECT_EQ(run("{{.}}", json("x")), "x");
  EXPECT_EQ(run("{{.Ports}}", kContainer), "map[]");
}

TEST(Template, MissingAndNull) {
  EXPECT_EQ(run("{{.Nope}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{.Nope.Deeper}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{.Config.Cmd}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{print .Config.Cmd}}", kContainer), "<nil>");
  EXPECT_EQ(run("{{print .Nope}}", kContainer), "<nil>");
  EXPECT_EQ(run("{{.}}", json()), "<no value>");
  EXPECT_EQ(run("{{.X}}", json()), "<no value>");
  EXPECT_EQ(run("{{json .Config.Cmd}}", kContainer), "null");
}

TEST(Template, FieldErrors) {
  EXPECT_EQ(run("{{.Id.Foo}}", kContainer),
            "ERROR: template: :1:5: executing \"\" at <.Id.Foo>: can't evaluate field Foo in "
            "type string");
  EXPECT_EQ(run("{{.Config.Cmd.X}}", kContainer),
            "ERROR: template: :1:9: executing \"\" at <.Config.Cmd.X>: nil pointer evaluating "
            "interface {}.X");
  EXPECT_EQ(run("x\n {{.Args.Foo}}", kContainer),
            "ERROR: template: :2:8: executing \"\" at <.Args.Foo>: can't evaluate field Foo in "
            "type []interface {}");
  EXPECT_EQ(run("{{.Id 1}}", kContainer),
            "ERROR: template: :1:2: executing \"\" at <.Id>: Id is not a method but has "
            "arguments");
}

TEST(Template, ParseErrors) {
  EXPECT_EQ(run("{{.Foo }"), "ERROR: template: :1: unexpected \"}\" in operand");
  EXPECT_EQ(run("{{.Foo}"), "ERROR: template: :1: bad character U+007D '}'");
  EXPECT_EQ(run("{{.A \x01}}"), "ERROR: template: :1: unrecognized character in action: U+0001");
  EXPECT_EQ(run("{{.Foo"), "ERROR: template: :1: unclosed action");
  EXPECT_EQ(run("{{}}"), "ERROR: template: :1: missing value for command");
  EXPECT_EQ(run("{{foo .}}"), "ERROR: template: :1: function \"foo\" not defined");
  EXPECT_EQ(run("a\n{{$x}}"), "ERROR: template: :2: undefined variable \"$x\"");
  EXPECT_EQ(run("{{end}}"), "ERROR: template: :1: unexpected {{end}}");
  EXPECT_EQ(run("{{else}}"), "ERROR: template: :1: unexpected {{else}}");
  EXPECT_EQ(run("{{if .A}}x"), "ERROR: template: :1: unexpected EOF");
  EXPECT_EQ(run("{{if}}{{end}}"), "ERROR: template: :1: missing value for if");
  EXPECT_EQ(run("{{range}}{{end}}"), "ERROR: template: :1: missing value for range");
  EXPECT_EQ(run("{{break}}"), "ERROR: template: :1: {{break}} outside {{range}}");
  EXPECT_EQ(run("{{\"abc}}"), "ERROR: template: :1: unterminated quoted string");
  EXPECT_EQ(run("{{/* x }}"), "ERROR: template: :1: unclosed comment");
  EXPECT_EQ(run("{{.A | \"x\"}}"),
            "ERROR: template: :1: non executable command in pipeline stage 2");
  EXPECT_EQ(run("{{(.A}}"), "ERROR: template: :1: unclosed left paren");
  EXPECT_EQ(run("{{.A)}}"), "ERROR: template: :1: unexpected right paren");
  EXPECT_EQ(run("{{3x}}"), "ERROR: template: :1: bad number syntax: \"3x\"");
  EXPECT_EQ(run("{{if .A}}{{else}}{{else}}{{end}}"),
            "ERROR: template: :1: expected end; found {{else}}");
  EXPECT_EQ(run("{{.A.}}"), "ERROR: template: :1: unexpected <.> in operand");
  EXPECT_EQ(run("{{\"x\".A}}"), "ERROR: template: :1: unexpected . after term \"\\\"x\\\"\"");
}

TEST(Template, ErrorCodeIsInvalidArgument) {
  auto t = Template::parse("{{");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Template, Literals) {
  EXPECT_EQ(run("{{\"a\\tb\\u00e9\\x41\"}}"),
            "a\tb\xc3\xa9"
            "A");
  EXPECT_EQ(run("{{`raw\\n`}}"), "raw\\n");
  EXPECT_EQ(run("{{1}} {{-2}} {{1.5}} {{0x1F}} {{1e3}} {{'a'}} {{1_000}}"),
            "1 -2 1.5 31 1000 97 1000");
  EXPECT_EQ(run("{{true}} {{false}}"), "true false");
  EXPECT_EQ(run("{{nil}}"), "ERROR: template: :1:2: executing \"\" at <nil>: nil is not a command");
  EXPECT_EQ(run("{{print nil}}"), "<nil>");
}

TEST(Template, Comments) {
  EXPECT_EQ(run("a{{/* comment */}}b"), "ab");
  EXPECT_EQ(run("a {{- /* comment */ -}} b"), "ab");
  EXPECT_EQ(run("a{{/* x */ }}b"), "ERROR: template: :1: comment ends before closing delimiter");
}

TEST(Template, TrimMarkers) {
  EXPECT_EQ(run("a  {{- .X -}}  \n b", json{{"X", 1}}), "a1b");
  EXPECT_EQ(run("a  {{- .X}}  b", json{{"X", 1}}), "a1  b");
  EXPECT_EQ(run("a  {{.X -}}\n\t b", json{{"X", 1}}), "a  1b");
  EXPECT_EQ(run("{{-3}}"), "-3");  // not a trim marker without the space
  EXPECT_EQ(run("{{range .}}\n  {{- .}}\n{{- end}}", json::array({1, 2})), "12");
}

TEST(Template, Variables) {
  EXPECT_EQ(run("{{$x := .Id}}{{$x}}", kContainer), "abc123");
  EXPECT_EQ(run("{{$x := 1}}{{$x = 2}}{{$x}}"), "2");
  EXPECT_EQ(run("{{$}}", json("root")), "root");
  EXPECT_EQ(run("{{range .Args}}{{$.Id}}{{end}}", kContainer), "abc123abc123");
  EXPECT_EQ(run("{{$c := .Config}}{{$c.Labels.b}}", kContainer), "2");
  EXPECT_EQ(run("{{with $x := .State}}{{$x.Pid}}{{end}}", kContainer), "42");
  EXPECT_EQ(run("{{if true}}{{$y := 1}}{{end}}{{$y}}"),
            "ERROR: template: :1: undefined variable \"$y\"");
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
}

TEST(Template, Pipelines) {
  EXPECT_EQ(run("{{.Id | printf \"%s!\"}}", kContainer), "abc123!");
  EXPECT_EQ(run("{{.Id | upper | printf \"<%s>\"}}", kContainer), "<ABC123>");
  EXPECT_EQ(run("{{(index .Args 1) | len}}", kContainer), "11");
  EXPECT_EQ(run("{{printf \"%s-%s\" (upper .Id) (lower \"X\")}}", kContainer), "ABC123-x");
  EXPECT_EQ(run("{{(.State).Pid}}", kContainer), "42");
  EXPECT_EQ(run("{{\"x\" 1}}"),
            "ERROR: template: :1:2: executing \"\" at <\"x\">: can't give argument to "
            "non-function \"x\"");
}

TEST(Template, IfElse) {
  const char* t = "{{if .A}}a{{else if .B}}b{{else}}c{{end}}";
  EXPECT_EQ(run(t, json{{"A", 1}}), "a");
  EXPECT_EQ(run(t, json{{"B", "x"}}), "b");
  EXPECT_EQ(run(t, json{{"A", 0}, {"B", ""}}), "c");
  EXPECT_EQ(run("{{if and .State.Running (not .Config.Tty)}}yes{{end}}", kContainer), "yes");
  EXPECT_EQ(run("{{if or .Config.User .Id}}y{{end}}", kContainer), "y");
}

TEST(Template, Truthiness) {
  const char* t = "{{if .}}T{{else}}F{{end}}";
  EXPECT_EQ(run(t, json(false)), "F");
  EXPECT_EQ(run(t, json(0)), "F");
  EXPECT_EQ(run(t, json(0.0)), "F");
  EXPECT_EQ(run(t, json("")), "F");
  EXPECT_EQ(run(t, json()), "F");
  EXPECT_EQ(run(t, json::array()), "F");
  EXPECT_EQ(run(t, json::object()), "F");
  EXPECT_EQ(run(t, json(true)), "T");
  EXPECT_EQ(run(t, json(-1)), "T");
  EXPECT_EQ(run(t, json("0")), "T");
  EXPECT_EQ(run(t, json::array({0})), "T");
}

TEST(Template, AndOrReturnValues) {
  EXPECT_EQ(run("{{and 1 0 2}}"), "0");
  EXPECT_EQ(run("{{and 1 2}}"), "2");
  EXPECT_EQ(run("{{or 0 \"\" 3}}"), "3");
  EXPECT_EQ(run("{{or 0 \"\"}}"), "");
  // Short circuit: the failing index is never evaluated.
  EXPECT_EQ(run("{{or 1 (index . 5)}}", json::array()), "1");
  EXPECT_EQ(run("{{not 0}} {{not \"x\"}}"), "true false");
}

TEST(Template, With) {
  EXPECT_EQ(run("{{with .State}}{{.Status}}{{end}}", kContainer), "running");
  EXPECT_EQ(run("{{with .Nope}}x{{else}}none{{end}}", kContainer), "none");
  EXPECT_EQ(run("{{with .A}}a{{else with .B}}{{.}}{{end}}", json{{"B", "b"}}), "b");
}

TEST(Template, RangeArrayAndObject) {
  EXPECT_EQ(run("{{range $i, $e := .}}{{$i}}={{$e}} {{end}}", json::array({"a", "b"})), "0=a 1=b ");
  EXPECT_EQ(run("{{range .}}[{{.}}]{{end}}", json::array({1, 2, 3})), "[1][2][3]");
  EXPECT_EQ(run("{{range $k, $v := .}}{{$k}}:{{$v}};{{end}}", json{{"z", 1}, {"a", 2}}),
            "a:2;z:1;");
  EXPECT_EQ(run("{{range $v := .}}{{$v}}{{end}}", json{{"z", 1}, {"a", 2}}), "21");
  EXPECT_EQ(run("{{range .}}x{{else}}empty{{end}}", json::array()), "empty");
  EXPECT_EQ(run("{{range .Nope}}x{{else}}empty{{end}}", json::object()), "empty");
  EXPECT_EQ(run("{{range .Config.Env}}{{.}},{{end}}", kContainer), "A=1,B=2,");
  EXPECT_EQ(run("{{range .}}{{end}}", json("str")),
            "ERROR: template: :1:8: executing \"\" at <.>: range can't iterate over str");
}

TEST(Template, RangeBreakContinueInt) {
  EXPECT_EQ(run("{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}", json::array({1, 2, 3, 4})),
            "12");
  EXPECT_EQ(run("{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", json::array({1, 2, 3})),
            "13");
  EXPECT_EQ(run("{{range 3}}{{.}}{{end}}"), "012");
  EXPECT_EQ(run("{{range $i := 2}}{{$i}}{{end}}"), "01");
  EXPECT_EQ(run("{{range $i, $j := 2}}{{end}}"),
            "ERROR: template: :1:18: executing \"\" at <2>: can't use 2 to iterate over more "
            "than one variable");
  // As in Go, assigning an undeclared variable fails only when executed.
  EXPECT_EQ(run("{{range $x = .}}{{end}}"),
            "ERROR: template: :1:13: executing \"\" at <.>: undefined variable: $x");
  EXPECT_EQ(run("{{$x := 0}}{{range $x = .}}{{end}}{{$x}}", json::array({5, 6})), "6");
}

TEST(Template, DefineTemplateBlock) {
  EXPECT_EQ(run("{{define \"T\"}}<{{.}}>{{end}}{{template \"T\" .Id}}", kContainer), "<abc123>");
  EXPECT_EQ(run("{{template \"T\"}}{{define \"T\"}}[{{.}}]{{end}}"), "[<no value>]");
  EXPECT_EQ(run("{{block \"B\" .State}}{{.Pid}}{{end}}", kContainer), "42");
  EXPECT_EQ(run("{{template \"none\"}}"),
            "ERROR: template: :1:11: executing \"\" at <{{template \"none\"}}>: template "
            "\"none\" not defined");
  EXPECT_EQ(run("{{define \"T\"}}{{.X.Y}}{{end}}{{template \"T\" .}}", json{{"X", 1}}),
            "ERROR: template: :1:18: executing \"T\" at <.X.Y>: can't evaluate field Y in type "
            "int");
  std::string loop = run("{{define \"L\"}}{{template \"L\" .}}{{end}}{{template \"L\" .}}");
  EXPECT_NE(loop.find("exceeded maximum template depth (200)"), std::string::npos) << loop;
}

TEST(Template, Len) {
  EXPECT_EQ(run("{{len .}}", json::array({1, 2})), "2");
  EXPECT_EQ(run("{{len .}}", json("héllo")), "6");  // bytes, like Go
  EXPECT_EQ(run("{{len .Config.Labels}}", kContainer), "2");
  EXPECT_EQ(run("{{len .Count}}", kContainer),
            "ERROR: template: :1:2: executing \"\" at <len .Count>: error calling len: len of "
            "type int");
}

TEST(Template, Index) {
  EXPECT_EQ(run("{{index .Config.Labels \"com.x\"}}", kContainer), "yes");
  EXPECT_EQ(run("{{index .Config.Labels \"none\"}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{index .Args 1}}", kContainer), "daemon off;");
  EXPECT_EQ(run("{{index . 1 0}}", json::array({json::array({1}), json::array({"x", "y"})})), "x");
  EXPECT_EQ(run("{{index . \"a\" \"b\"}}", json{{"a", {{"b", 7}}}}), "7");
  EXPECT_EQ(run("{{index \"abc\" 1}}"), "98");
  EXPECT_EQ(run("{{index .Args 5}}", kContainer),
            "ERROR: template: :1:2: executing \"\" at <index .Args 5>: error calling index: "
            "index out of range: 5");
  // Go reports an index equal to the length through reflect.
  EXPECT_EQ(run("{{index .Args 2}}", kContainer),
            "ERROR: template: :1:2: executing \"\" at <index .Args 2>: error calling index: "
            "reflect: slice index out of range");
  EXPECT_EQ(run("{{index .Nope 0}}", kContainer),
            "ERROR: template: :1:2: executing \"\" at <index .Nope 0>: error calling index: "
            "index of untyped nil");
}

TEST(Template, Slice) {
  EXPECT_EQ(run("{{slice \"hello\" 1 3}}"), "el");
  EXPECT_EQ(run("{{slice . 1}}", json::array({1, 2, 3})), "[2 3]");
  EXPECT_EQ(run("{{slice . 2 1}}", json::array({1, 2, 3})),
            "ERROR: template: :1:2: executing \"\" at <slice . 2 1>: error calling slice: "
            "invalid slice index: 2 > 1");
}

TEST(Template, Print) {
  EXPECT_EQ(run("{{print 1 2 \"a\" 3 \"b\" \"c\"}}"), "1 2a3bc");
  EXPECT_EQ(run("{{println 1 \"a\"}}"), "1 a\n");
  EXPECT_EQ(run("{{print .Args}}", kContainer), "[-g daemon off;]");
}

TEST(Template, Printf) {
  json d = {{"Name", "web"}, {"N", 42}, {"F", 3.14159}, {"B", true}, {"L", {"a", "b"}}};
  EXPECT_EQ(run("{{printf \"%-10s|\" .Name}}", d), "web       |");
  EXPECT_EQ(run("{{printf \"%10s|\" .Name}}", d), "       web|");
  EXPECT_EQ(run("{{printf \"%5s|%.1s\" .Name .Name}}", d), "  web|w");
  EXPECT_EQ(run("{{printf \"%d %5d %-5d| %05d %x %X %o %b %+d\" .N .N .N .N .N .N .N .N .N}}", d),
            "42    42 42   | 00042 2a 2A 52 101010 +42");
  EXPECT_EQ(run("{{printf \"%.2f %f %e %g %v\" .F .F .F .F .F}}", d),
            "3.14 3.141590 3.141590e+00 3.14159 3.14159");
  EXPECT_EQ(run("{{printf \"%8.3f|%-8.2f|\" .F .F}}", d), "   3.142|3.14    |");
  EXPECT_EQ(run("{{printf \"%q %v %t\" .Name .B .B}}", d), "\"web\" true true");
  EXPECT_EQ(run("{{printf \"%x\" \"hi\"}}"), "6869");
  EXPECT_EQ(run("{{printf \"%v %s\" .L .L}}", d), "[a b] [a b]");
  EXPECT_EQ(run("{{printf \"%c%c\" 72 105}}"), "Hi");
  EXPECT_EQ(run("{{printf \"%U|%#U|%q\" 65 65 65}}"), "U+0041|U+0041 'A'|'A'");
  EXPECT_EQ(run("{{printf \"%*d|%-*d|%.*f\" 5 1 5 1 2 3.14159}}"), "    1|1    |3.14");
  EXPECT_EQ(run("{{printf \"%T %T %T\" .Name .N .L}}", d), "string int []interface {}");
  EXPECT_EQ(run("{{printf \"100%%\"}}"), "100%");
}

TEST(Template, PrintfBadArgs) {
  EXPECT_EQ(run("{{printf \"%d\" \"x\"}}"), "%!d(string=x)");
  EXPECT_EQ(run("{{printf \"%s\" 5}}"), "%!s(int=5)");
  EXPECT_EQ(run("{{printf \"%d %d\" 1}}"), "1 %!d(MISSING)");
  EXPECT_EQ(run("{{printf \"%d\" 1 \"x\"}}"), "1%!(EXTRA string=x)");
  EXPECT_EQ(run("{{printf \"%s\" nil}}"), "%!s(<nil>)");
  EXPECT_EQ(run("{{printf \"%z\" 1}}"), "%!z(int=1)");
  EXPECT_EQ(run("{{printf 5}}"),
            "ERROR: template: :1:9: executing \"\" at <5>: expected string; found 5");
}

TEST(Template, FloatFormattingLikeGo) {
  EXPECT_EQ(run("{{.}}", json(100000.0)), "100000");
  EXPECT_EQ(run("{{.}}", json(1234567.0)), "1.234567e+06");
  EXPECT_EQ(run("{{.}}", json(0.0001)), "0.0001");
  EXPECT_EQ(run("{{.}}", json(0.00001)), "1e-05");
  EXPECT_EQ(run("{{.}}", json(2.0)), "2");
  EXPECT_EQ(run("{{.}}", json(-0.5)), "-0.5");
  EXPECT_EQ(run("{{.}}", json(0.1 + 0.2)), "0.30000000000000004");
}

TEST(Template, Comparisons) {
  EXPECT_EQ(run("{{eq .State.Status \"running\"}}", kContainer), "true");
  EXPECT_EQ(run("{{eq 1 2 3 1}}"), "true");
  EXPECT_EQ(run("{{eq 1 2 3}}"), "false");
  EXPECT_EQ(run("{{ne \"a\" \"b\"}} {{lt 1 2}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}}"),
            "true true true true false");
  EXPECT_EQ(run("{{lt \"a\" \"b\"}} {{lt 1.5 2}} {{eq 1 1.0}}"), "true true true");
  EXPECT_EQ(run("{{eq .Nope \"x\"}}", kContainer), "false");
  EXPECT_EQ(run("{{eq 1 \"1\"}}"),
            "ERROR: template: :1:2: executing \"\" at <eq 1 \"1\">: error calling eq: "
            "incompatible types for comparison");
  EXPECT_EQ(run("{{lt true false}}"),
            "ERROR: template: :1:2: executing \"\" at <lt true false>: error calling lt: "
            "invalid type for comparison");
  EXPECT_EQ(run("{{eq 1}}"),
            "ERROR: template: :1:2: executing \"\" at <eq 1>: error calling eq: missing "
            "argument for comparison");
  EXPECT_EQ(run("{{lt 1}}"),
            "ERROR: template: :1:2: executing \"\" at <lt>: wrong number of args for lt: want 2 "
            "got 1");
}

TEST(Template, Escapers) {
  EXPECT_EQ(run("{{html \"<a href='x'>&\\\"\"}}"), "&lt;a href=&#39;x&#39;&gt;&amp;&#34;");
  EXPECT_EQ(run("{{js \"it's <b>\"}}"), "it\\'s \\u003Cb\\u003E");
  EXPECT_EQ(run("{{urlquery \"a b&c=d/é\"}}"), "a+b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(run("{{html .Nope}}", kContainer), "&lt;no value&gt;");
}

TEST(Template, DockerJson) {
  EXPECT_EQ(run("{{json .}}", json{{"a", 1}}), "{\"a\":1}");
  EXPECT_EQ(run("{{json .Config.Env}}", kContainer), "[\"A=1\",\"B=2\"]");
  EXPECT_EQ(run("{{json .}}", json{{"b", {1.5, 1e6, 1e21, 1e-7}}, {"a", nullptr}}),
            "{\"a\":null,\"b\":[1.5,1000000,1e+21,1e-7]}");
  // docker disables HTML escaping; control characters and quotes are escaped.
  EXPECT_EQ(run("{{json .}}", json("<a&b>\"\n\x01")), "\"<a&b>\\\"\\n\\u0001\"");
  EXPECT_EQ(run("{{json .Name}}", kContainer), "\"/web\"");
}

TEST(Template, DockerStringFunctions) {
  EXPECT_EQ(run("{{join .Args \",\"}}", kContainer), "-g,daemon off;");
  EXPECT_EQ(run("{{join .Nope \",\"}}", kContainer), "");
  EXPECT_EQ(run("{{split \"a,b,c\" \",\"}}"), "[a b c]");
  EXPECT_EQ(run("{{index (split \"a:b\" \":\") 1}}"), "b");
  EXPECT_EQ(run("{{split \"ab\" \"\"}}"), "[a b]");
  EXPECT_EQ(run("{{title \"hello wORLD foo_bar x-y\"}}"), "Hello WORLD Foo_bar X-Y");
  EXPECT_EQ(run("{{title \"été 'a\"}} {{upper \"éa\"}}"), "Été 'A ÉA");
  EXPECT_EQ(run("{{pad \"x\" -1 0}}"),
            "ERROR: template: :1:2: executing \"\" at <pad \"x\" -1 0>: error calling pad: "
            "strings: negative Repeat count");
  EXPECT_EQ(run("{{lower \"AbC\"}} {{upper \"AbC\"}}"), "abc ABC");
  EXPECT_EQ(run("[{{pad \"x\" 2 3}}][{{pad \"\" 2 3}}]"), "[  x   ][]");
  EXPECT_EQ(run("{{truncate \"abcdef\" 3}} {{truncate \"ab\" 3}}"), "abc ab");
  EXPECT_EQ(run("{{upper 5}}"),
            "ERROR: template: :1:8: executing \"\" at <5>: expected string; found 5");
  EXPECT_EQ(run("{{upper .Count}}", kContainer),
            "ERROR: template: :1:8: executing \"\" at <.Count>: wrong type for value; expected "
            "string; got int");
  EXPECT_EQ(run("{{truncate \"abc\" \"2\"}}"),
            "ERROR: template: :1:17: executing \"\" at <\"2\">: expected integer; found \"2\"");
  EXPECT_EQ(run("{{upper .Nope}}", kContainer),
            "ERROR: template: :1:8: executing \"\" at <.Nope>: invalid value; expected string");
}

TEST(Template, HeaderFunctions) {
  auto t = Template::parse("{{upper .Name}}|{{json .Labels}}|{{truncate .ID 3}}|{{pad .ID 1 1}}");
  ASSERT_TRUE(t.ok());
  json header = {{"Name", "NAME"}, {"Labels", "LABELS"}, {"ID", "CONTAINER ID"}};
  auto out = t->execute(header, ExecuteOptions{.header_functions = true});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, "NAME|LABELS|CONTAINER ID| CONTAINER ID ");
}

TEST(Template, ExecuteIsRepeatableAndCopiesShareTree) {
  auto t = Template::parse("{{.}}");
  ASSERT_TRUE(t.ok());
  Template copy = *t;
  EXPECT_EQ(*copy.execute(json(1)), "1");
  EXPECT_EQ(*t->execute(json(2)), "2");
}

TEST(Template, Limits) {
  std::string deep;
  for (int i = 0; i < kMaxParseDepth + 5; ++i) deep += "{{if 1}}";
  EXPECT_EQ(run(deep), "ERROR: template: :1: max expression depth exceeded");
  std::string parens = "{{" + std::string(kMaxParseDepth + 5, '(') + "1" +
                       std::string(kMaxParseDepth + 5, ')') + "}}";
  EXPECT_EQ(run(parens), "ERROR: template: :1: max expression depth exceeded");
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "{{if 1}}";
  ok += "x";
  for (int i = 0; i < 50; ++i) ok += "{{end}}";
  EXPECT_EQ(run(ok), "x");
  std::string huge = run("{{range 100000000}}{{end}}");
  EXPECT_NE(huge.find("step limit"), std::string::npos) << huge;
}

// The parser and executor must neither crash nor hang on arbitrary input.
TEST(Template, FuzzSmoke) {
  const std::vector<std::string> pieces = {
      "{{",     "}}",    "{{-",  " -}}",   ".",        ".A",    "$x",    "$",        ":=",  "=",
      "|",      "(",     ")",    "\"s\"",  "`r`",      "'c'",   "1",     "-1.5e3",   "if",  "else",
      "end",    "range", "with", "define", "template", "block", "break", "continue", "nil", "true",
      "printf", "index", "len",  "and",    "eq",       " ",     "\n",    "/*",       "*/",  ",",
      "x",      "\\",    "\xff", "\"",     "0x",       "json",  "join",  "slice"};
  std::mt19937 rng(12345);
  json data = json::parse(R"({"A":{"B":[1,"x",null]},"C":"s"})");
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) text += pieces[rng() % pieces.size()];
    auto t = Template::parse(text);
    if (t.ok()) {
      ++parsed;
      (void)t->execute(data);
    }
  }
  EXPECT_GT(parsed, 0);
}


TEST(Template, MethodsOfTheData) {
  MethodResolver methods = [](const json& receiver, std::string_view name,
                              const std::vector<const json*>& args)
      -> std::optional<Result<json>> {
    if (name != "Get") return std::nullopt;
    if (args.size() != 1 || !args[0]->is_string()) {
      return Result<json>(invalidArgument("want one string"));
    }
    auto it = receiver.find("Map");
    if (it == receiver.end() || !it->contains(args[0]->get<std::string>())) {
      return Result<json>(json(""));
    }
    return Result<json>((*it)[args[0]->get<std::string>()]);
  };
  json data = json::parse(R"({"Map":{"a":"x","b":"y"},"Inner":{"Map":{"a":"z"}}})");
  auto run = [&](const std::string& text) -> Result<std::string> {
    BERTH_TRY(auto t, Template::parse(text));
    return t.execute(data, ExecuteOptions{.methods = &methods});
  };
  EXPECT_EQ(run(R"({{.Get "a"}}-{{.Get "b"}}-{{.Get "c"}})").value(), "x-y-");
  EXPECT_EQ(run(R"({{"b" | .Get}})").value(), "y");
  EXPECT_EQ(run(R"({{.Inner.Get "a"}})").value(), "z");
  EXPECT_EQ(run(R"({{.Map.a}})").value(), "x");  // fields still work
  auto bad = run(R"({{.Get 1}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("want one string"), std::string::npos)
      << bad.error().message();
  // Without methods, arguments to a field are Go's error.
  auto t = Template::parse(R"(ab{{.Get "a"}})");
  ASSERT_TRUE(t.ok());
  std::string partial;
  auto plain = t->execute(data, ExecuteOptions{.partial_output = &partial});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(partial, "ab");
}

}  // namespace
}  // namespace berth::tmpl
