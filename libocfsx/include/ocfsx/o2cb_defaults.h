// /etc/default/o2cbx: whether the cluster stack starts at boot, which cluster
// it brings online, and the cluster timeouts (shell KEY=value syntax).
#pragma once

#include <string>
#include <string_view>

#include "ocfsx/configfs.h"
#include "ocfsx/status.h"

namespace ocfsx {

inline constexpr const char* kDefaultO2cbDefaultsPath = "/etc/default/o2cbx";

struct O2cbDefaults {
  // Absent file or key means true: a node with a cluster.conf and the
  // service enabled should come online without a second switch to find.
  bool enabled = true;
  std::string bootcluster;  // empty: the only cluster in cluster.conf
  ClusterParams params;     // unset keys keep the module's defaults

  // Parses shell-style text: KEY=value, KEY="value", KEY='value', optional
  // "export ", '#' comments; an empty value means "default". Unknown O2CBX_*
  // keys are errors (they are typos); other variables are ignored. Errors
  // read "source:line: ...".
  static Result<O2cbDefaults> Parse(std::string_view text, const std::string& source);
  // A missing file yields the defaults.
  static Result<O2cbDefaults> Load(const std::string& path);
};

}  // namespace ocfsx
