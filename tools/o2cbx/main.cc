// o2cbx: the ocfsx cluster stack tool, with o2cb's verbs. Parses the global
// options and the verb's arguments, then hands over to the verb.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "o2cbx.h"
#include "ocfsx/cluster_conf.h"
#include "ocfsx/o2cb_defaults.h"

namespace o2cbx {
namespace {

struct Verb {
  const char* name;
  int (*run)(const Context&);
  int min_args;
  int max_args;
  std::vector<std::string> value_options;  // take an argument
  std::vector<std::string> flag_options;
  const char* usage;
  const char* summary;
};

const std::vector<Verb>& Verbs() {
  static const std::vector<Verb> verbs = {
      {"add-cluster", AddCluster, 1, 1, {}, {}, "CLUSTER", "Add a cluster to the config file."},
      {"remove-cluster",
       RemoveCluster,
       1,
       1,
       {},
       {},
       "CLUSTER",
       "Remove a cluster, its nodes and heartbeat regions from the config file."},
      {"add-node",
       AddNode,
       2,
       2,
       {"ip", "port", "number"},
       {},
       "CLUSTER NODE --ip ADDRESS [--port PORT] [--number NUMBER]",
       "Add a node to a cluster in the config file."},
      {"remove-node",
       RemoveNode,
       2,
       2,
       {},
       {},
       "CLUSTER NODE",
       "Remove a node from a cluster in the config file."},
      {"add-heartbeat",
       AddHeartbeat,
       2,
       2,
       {},
       {},
       "CLUSTER REGION|DEVICE",
       "Add a global heartbeat region (volume UUID or device) to a cluster."},
      {"remove-heartbeat",
       RemoveHeartbeat,
       2,
       2,
       {},
       {},
       "CLUSTER REGION|DEVICE",
       "Remove a global heartbeat region from a cluster."},
      {"heartbeat-mode",
       HeartbeatModeVerb,
       2,
       2,
       {},
       {},
       "CLUSTER local|global",
       "Set a cluster's heartbeat mode in the config file."},
      {"generate-key",
       GenerateKey,
       1,
       1,
       {},
       {"force"},
       "CLUSTER [-f|--force]",
       "Give a cluster a new random key in the config file (-f replaces an existing one)."},
      {"remove-key", RemoveKey, 1, 1, {}, {}, "CLUSTER", "Remove a cluster's key from the config file."},
      {"list-clusters", ListClusters, 0, 0, {}, {}, "", "List the clusters in the config file."},
      {"list-cluster",
       ListCluster,
       1,
       1,
       {},
       {"oneline"},
       "CLUSTER [--oneline]",
       "Print a cluster's stanzas: the cluster, its nodes and heartbeat regions."},
      {"list-nodes",
       ListNodes,
       1,
       1,
       {},
       {"oneline"},
       "CLUSTER [--oneline]",
       "Print a cluster's node stanzas."},
      {"list-heartbeats",
       ListHeartbeats,
       1,
       1,
       {},
       {"oneline"},
       "CLUSTER [--oneline]",
       "Print a cluster's heartbeat stanzas."},
      {"register-cluster",
       RegisterClusterVerb,
       1,
       1,
       {"local-node"},
       {},
       "CLUSTER [--local-node NODE]",
       "Register a cluster and its nodes with the kernel (configfs)."},
      {"unregister-cluster",
       UnregisterClusterVerb,
       1,
       1,
       {},
       {},
       "CLUSTER",
       "Remove a cluster from the kernel (configfs)."},
      {"start-heartbeat",
       StartHeartbeat,
       1,
       1,
       {},
       {},
       "CLUSTER",
       "Start global heartbeat on the cluster's regions."},
      {"stop-heartbeat", StopHeartbeat, 1, 1, {}, {}, "CLUSTER", "Stop global heartbeat."},
      {"cluster-status",
       ClusterStatus,
       0,
       1,
       {},
       {},
       "[CLUSTER]",
       "Exit 0 if the cluster is online, 1 otherwise."},
      {"status", StatusVerb, 0, 1, {}, {}, "[CLUSTER]", "Show module, configfs, cluster and timeout status."},
      {"load", Load, 0, 0, {}, {}, "", "Load the ocfsx module and mount configfs."},
      {"online",
       Online,
       0,
       1,
       {"local-node"},
       {},
       "[CLUSTER] [--local-node NODE]",
       "Load, register the boot cluster (or CLUSTER) and start global heartbeat."},
      {"offline", Offline, 0, 1, {}, {}, "[CLUSTER]", "Stop heartbeat and unregister the cluster."},
      {"unload", Unload, 0, 0, {}, {}, "", "Take the cluster offline and unload the ocfsx module."},
  };
  return verbs;
}

void PrintHelp(FILE* out) {
  std::fprintf(out,
               "usage: o2cbx [--config-file FILE] [--defaults-file FILE] [-v|--verbose] [-V|--version] "
               "[-h|--help] COMMAND [ARGS]\n\nCommands:\n");
  for (const auto& v : Verbs()) std::fprintf(out, "  %-19s %s\n", v.name, v.summary);
  std::fprintf(out,
               "\nDefaults: --config-file %s, --defaults-file %s.\n"
               "'o2cbx COMMAND -h' shows a command's arguments. See o2cbx(8).\n",
               ocfsx::kDefaultClusterConfPath, ocfsx::kDefaultO2cbDefaultsPath);
}

int Usage(const std::string& why, const Verb* verb) {
  std::fprintf(stderr, "o2cbx: %s\n", why.c_str());
  if (verb)
    std::fprintf(stderr, "usage: o2cbx %s %s\n", verb->name, verb->usage);
  else
    std::fprintf(stderr, "run 'o2cbx -h' for the list of commands\n");
  return kExitUsage;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

// Splits "--name=value" / "--name value"; returns false on a missing value.
bool TakeValue(const std::vector<std::string>& argv, size_t* i, std::string* value) {
  const std::string& a = argv[*i];
  auto eq = a.find('=');
  if (eq != std::string::npos) {
    *value = a.substr(eq + 1);
    return true;
  }
  if (*i + 1 >= argv.size()) return false;
  *value = argv[++*i];
  return true;
}

}  // namespace

void Context::Verbose(const std::string& line) const {
  if (verbose) std::printf("%s\n", line.c_str());
}

int Fail(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "o2cbx: %s\n", message.c_str());
  return kExitError;
}

int Fail(const ocfsx::Status& status) { return Fail(status.message()); }

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Context ctx;
  ctx.config_path = ocfsx::kDefaultClusterConfPath;
  ctx.defaults_path = ocfsx::kDefaultO2cbDefaultsPath;
  const Verb* verb = nullptr;
  bool want_help = false;
  bool options_done = false;

  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    const bool is_opt = !options_done && a.size() > 1 && a[0] == '-';
    if (is_opt && a == "--") {
      options_done = true;
      continue;
    }
    if (is_opt) {
      std::string name = a.rfind("--", 0) == 0 ? a.substr(2) : a;
      name = name.substr(0, name.find('='));  // --opt=value
      if (a == "-f") name = "force";          // the one short verb option
      std::string value;
      if (a == "-h" || a == "--help") {
        want_help = true;
      } else if (a == "-V" || a == "--version") {
        std::printf("o2cbx (ocfsx) %s\n", OCFSX_VERSION);
        return kExitOk;
      } else if (a == "-v" || a == "--verbose") {
        ctx.verbose = true;
      } else if (name == "config-file" || name == "defaults-file") {
        if (!TakeValue(args, &i, &value) || value.empty())
          return Usage("--" + name + " needs a file name", verb);
        (name == "config-file" ? ctx.config_path : ctx.defaults_path) = value;
      } else if (verb && Contains(verb->value_options, name)) {
        if (!TakeValue(args, &i, &value)) return Usage("--" + name + " needs a value", verb);
        ctx.options[name] = value;
      } else if (verb && Contains(verb->flag_options, name) && a.find('=') == std::string::npos) {
        ctx.options[name] = "";
      } else {
        return Usage("unknown option " + a + (verb ? std::string(" for ") + verb->name : std::string()),
                     verb);
      }
      continue;
    }
    if (!verb) {
      for (const auto& v : Verbs())
        if (a == v.name) verb = &v;
      if (!verb) return Usage("unknown command \"" + a + "\"", nullptr);
      continue;
    }
    ctx.args.push_back(a);
  }

  if (want_help) {
    if (verb)
      std::printf("usage: o2cbx %s %s\n%s\n", verb->name, verb->usage, verb->summary);
    else
      PrintHelp(stdout);
    return kExitOk;
  }
  if (!verb) {
    PrintHelp(stderr);
    return kExitUsage;
  }
  const int n = static_cast<int>(ctx.args.size());
  if (n < verb->min_args) return Usage(std::string(verb->name) + ": missing arguments", verb);
  if (n > verb->max_args) return Usage(std::string(verb->name) + ": too many arguments", verb);
  return verb->run(ctx);
}

}  // namespace o2cbx

int main(int argc, char** argv) { return o2cbx::Main(argc, argv); }
