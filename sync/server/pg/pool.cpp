// The PostgreSQL connection pool: the first connection creates the schema;
// every connection gets the merge's temporary tables and prepared
// statements (prepare_session); with_conn (pg.hpp) lends them out.
#include "sync/server/pg/pg.hpp"

namespace shelter::sync::pg {

Status Pool::connect() {
  return guarded("connect to PostgreSQL", [&]() -> Status {
    auto c = std::make_unique<pqxx::connection>(url_);
    pqxx::work w(*c);
    create_schema(w);
    w.commit();
    prepare_session(*c);
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
    open_ = 1;
    return {};
  });
}

}  // namespace shelter::sync::pg
