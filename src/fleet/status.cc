#include "fleet/status.h"

namespace hull::fleet {
namespace {

using json = nlohmann::json;

std::string Li(const std::vector<std::string>& ids, const char* cls) {
  if (ids.empty()) return "<span class=\"none\">none</span>";
  std::string out = "<ul class=\"" + std::string(cls) + "\">";
  for (const auto& id : ids) out += "<li>" + HtmlEscape(id) + "</li>";
  return out + "</ul>";
}

std::string GroupsHtml(const FleetStatus& s) {
  std::string out = "<h2>Reboot slots</h2>\n";
  if (s.groups.empty()) return out + "<p class=\"none\">no group in etcd</p>\n";
  for (const auto& g : s.groups) {
    out += "<section class=\"group\"><h3>group " + HtmlEscape(g.group) + ": " +
           std::to_string(g.semaphore.holders.size()) + " of " +
           std::to_string(g.semaphore.total_slots) + " slots held</h3>\n";
    if (g.semaphore.holders.empty()) {
      out += "<p class=\"none\">no holder</p></section>\n";
      continue;
    }
    out += "<table><tr><th>holder</th><th>held for</th></tr>\n";
    for (const auto& id : g.semaphore.holders) {
      auto it = g.held_since.find(id);
      std::string held = it == g.held_since.end() ? "?" : FormatDuration(s.now - it->second);
      out += "<tr><td class=\"id\">" + HtmlEscape(id) + "</td><td>" + held + "</td></tr>\n";
    }
    out += "</table></section>\n";
  }
  return out;
}

std::string ReleasesHtml(const FleetStatus& s) {
  std::string out = "<h2>Releases</h2>\n";
  if (s.releases.empty()) return out + "<p class=\"none\">no release reported</p>\n";
  std::string halted;
  for (const auto& r : s.releases) {
    std::string name = HtmlEscape(r.release.version) + " (" + HtmlEscape(r.release.flavor) + "/" +
                       HtmlEscape(r.release.arch) + ")";
    if (r.halted) halted += "<li class=\"halted\">" + name + "</li>";
    out += "<section class=\"release" + std::string(r.halted ? " halted" : "") + "\"><h3>release " +
           name + (r.halted ? " HALTED" : "") + "</h3>\n<p>" + std::to_string(r.tried.size()) +
           " tried, " + std::to_string(r.healthy.size()) + " healthy, " +
           std::to_string(r.rolled_back.size()) + " rolled back</p>\n";
    out += "<h4>healthy</h4>" + Li(r.healthy, "healthy") + "\n<h4>rolled back</h4>" +
           Li(r.rolled_back, "rolled-back") + "\n</section>\n";
  }
  std::string head = "<h2>Halted releases</h2>\n";
  head += halted.empty() ? "<p class=\"none\">none</p>\n" : "<ul>" + halted + "</ul>\n";
  return head + out;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatDuration(int64_t s) {
  if (s < 0) return "?";
  auto two = [](int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + two(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + two(s % 3600 / 60) + "m";
}

json StatusJson(const FleetStatus& s) {
  json groups = json::array();
  for (const auto& g : s.groups) {
    json since = json::object(), secs = json::object();
    for (const auto& [id, t] : g.held_since) {
      since[id] = t;
      secs[id] = s.now - t;
    }
    groups.push_back({{"group", g.group},
                      {"total_slots", g.semaphore.total_slots},
                      {"holders", g.semaphore.holders},
                      {"held_since", since},
                      {"held_seconds", secs},
                      {"version", g.version}});
  }
  json releases = json::array();
  for (const auto& r : s.releases) {
    releases.push_back({{"version", r.release.version},
                        {"flavor", r.release.flavor},
                        {"arch", r.release.arch},
                        {"tried", r.tried},
                        {"healthy", r.healthy},
                        {"rolled_back", r.rolled_back},
                        {"halted", r.halted},
                        {"halted_at", r.halted_at}});
  }
  return {{"now", s.now}, {"groups", groups}, {"releases", releases}};
}

std::string StatusPage(const FleetStatus& s, int refresh_seconds) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"refresh\" content=\"" +
      std::to_string(refresh_seconds) +
      "\">\n<title>Hull FleetLock</title>\n<style>\n"
      "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
      "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em;"
      "text-align:left}\n.id,li{font-family:monospace}.none{color:#777}\n"
      ".halted{color:#b00;font-weight:bold}section{margin-bottom:1em}\n"
      "</style></head><body>\n<h1>Hull FleetLock</h1>\n";
  out += GroupsHtml(s) + ReleasesHtml(s);
  out += "<p class=\"none\">read from etcd at unix time " + std::to_string(s.now) +
         "; refreshes every " + std::to_string(refresh_seconds) + " s</p>\n</body></html>\n";
  return out;
}

}  // namespace hull::fleet
