#include "kpp/app/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kpp::app {

// Format: one "node_id port" pair per line; '#' starts a comment.
state_load load_port_state(const std::string& path) {
  state_load out;
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT) out.error = path + ": " + std::strerror(errno);
    return out;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    long long node = 0;
    long long port = 0;
    if (!(fields >> node)) continue;  // blank line
    std::string extra;
    if (!(fields >> port) || (fields >> extra) || port < 1 || port > 65535 || node < 0 ||
        node > INT32_MAX) {
      out.error = path + ":" + std::to_string(number) +
                  ": expected \"<node_id> <port>\"; delete the file to start a new map";
      out.ports.clear();
      return out;
    }
    out.ports[static_cast<std::int32_t>(node)] = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::string save_port_state(const std::string& path,
                            const std::map<std::int32_t, std::uint16_t>& ports) {
  std::string text = "# kafka-psc-proxy sequential port map: node_id port\n";
  for (const auto& [node, port] : ports)
    text += std::to_string(node) + " " + std::to_string(port) + "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tmp + ": " + std::strerror(errno);
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = tmp + ": " + std::strerror(errno);
      ::close(fd);
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return tmp + ": " + std::strerror(errno);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return path + ": " + std::strerror(errno);
  return {};
}

}  // namespace kpp::app
