// Module load/unload through the finit_module/delete_module syscalls (no
// dependency on kmod tools), modprobe only when no .ko path is given.
#include "ocfsx/kmod.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "ocfsx/file_util.h"

namespace ocfsx {

Status LoadOcfsxModule(const std::string& module_path) {
  if (!module_path.empty()) {
    int fd = ::open(module_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "cannot open module " + module_path, "check OCFSX_MODULE");
    long rc = ::syscall(SYS_finit_module, fd, "", 0);
    int err = errno;
    ::close(fd);
    if (rc == 0 || err == EEXIST) return Status();
    std::string hint;
    if (err == ENOENT)
      hint = "a module it needs is missing: load configfs first ('modprobe configfs')";
    else if (err == ENOEXEC || err == EINVAL)
      hint = "the module was built for another kernel; 'dmesg' says more";
    else if (err == EPERM)
      hint = "run as root";
    return ErrnoStatus(err, "cannot load " + module_path, hint);
  }

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "cannot run modprobe");
  if (pid == 0) {
    const char* argv[] = {"modprobe", "ocfsx", nullptr};
    ::execvp("modprobe", const_cast<char* const*>(argv));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus(errno, "cannot wait for modprobe");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return Status::Error(ENOENT,
                         "modprobe not found; set OCFSX_MODULE to the path of ocfsx.ko "
                         "(e.g. OCFSX_MODULE=/lib/ocfsx/ocfsx.ko o2cbx load)");
  return Status::Error(EIO,
                       "'modprobe ocfsx' failed; is the ocfsx module installed for this "
                       "kernel? (or set OCFSX_MODULE=/path/to/ocfsx.ko)");
}

Status UnloadOcfsxModule() {
  if (::syscall(SYS_delete_module, "ocfsx", O_NONBLOCK) == 0 || errno == ENOENT) return Status();
  int err = errno;
  if (err == EWOULDBLOCK || err == EBUSY)
    return Status::Error(EBUSY,
                         "cannot unload the ocfsx module: it is in use; unmount ocfsx volumes and run "
                         "'o2cbx offline' first");
  return ErrnoStatus(err, "cannot unload the ocfsx module");
}

Status MountConfigfs(const std::string& root) {
  if (::mount("configfs", root.c_str(), "configfs", 0, nullptr) == 0) return Status();
  int err = errno;
  return ErrnoStatus(err, "cannot mount configfs at " + root,
                     err == ENODEV ? "load the configfs module first ('modprobe configfs')" : "");
}

}  // namespace ocfsx
