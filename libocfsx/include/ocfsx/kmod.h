// Loading and unloading ocfsx.ko and mounting configfs, for `o2cbx load`
// and friends; works without modprobe (busybox initramfs) given a .ko path.
#pragma once

#include <string>

#include "ocfsx/status.h"

namespace ocfsx {

// Loads the module from module_path (like insmod) when it is not empty,
// else runs "modprobe ocfsx". Loading an already loaded module succeeds.
Status LoadOcfsxModule(const std::string& module_path);
// Removes the module without waiting; in use is Status::Busy with the fix.
// Succeeds when it is not loaded.
Status UnloadOcfsxModule();
// mount -t configfs configfs root
Status MountConfigfs(const std::string& root);

}  // namespace ocfsx
