/**
 * Hot-path queries compiled once. Kysely builds and compiles a query tree on every call; for the lookups
 * made on every request (session by token hash, user by uniquifier) we compile once with placeholder values
 * and then send the same SQL text with fresh parameters. The SQL text is also registered in `preparedSql`,
 * which the drivers (see drivers.ts) use to keep a server-side prepared statement per connection:
 * named statements on PostgreSQL, `execute()` on MySQL; SQLite caches every statement anyway.
 */
import { CompiledQuery, type Compilable, type Kysely } from "kysely";

export class PreparedQuery<Row> {
  readonly sql: string;
  private readonly arity: number;

  constructor(query: Compilable<Row>, preparedSql: Set<string>) {
    const compiled = query.compile();
    this.sql = compiled.sql;
    this.arity = compiled.parameters.length;
    preparedSql.add(this.sql);
  }

  /** Runs the query on `executor` (the root database or a transaction) with parameters in SQL order. */
  async rows<DB>(executor: Kysely<DB>, ...parameters: unknown[]): Promise<Row[]> {
    if (parameters.length !== this.arity) throw new Error(`prepared query expects ${this.arity} parameters`);
    const result = await executor.executeQuery<Row>(CompiledQuery.raw(this.sql, parameters) as CompiledQuery<Row>);
    return result.rows;
  }

  async first<DB>(executor: Kysely<DB>, ...parameters: unknown[]): Promise<Row | undefined> {
    return (await this.rows(executor, ...parameters))[0];
  }
}
