export function whereEquals(column, value) {
  return `WHERE ${column} = '${value}'`;
}
