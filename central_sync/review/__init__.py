"""The central office's review pages: stock across the sale points, producers' sales, and their exports."""
